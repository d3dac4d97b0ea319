// Drives the supervisor's desk in Debian's headless Chromium: create a farm, import a CSV of
// 200 farms (after one with a bad row is refused with nothing written), suspend a permit and
// print its letter, upload lab results that raise a 2-of-4 warning, resolve a conflict two
// devices made, reassign a farm, watch the letter's e-mail leave the outbox, and find each
// action in the audit log. Prints one JSON line of what it saw; exits non-zero on the first
// thing that is not as it should be.
//
// usage: node desk.mjs BASE_URL SCREENSHOT_DIR
import { chromium } from 'playwright-core';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node desk.mjs BASE_URL SCREENSHOT_DIR');
  process.exit(2);
}

function expect(cond, what) {
  if (!cond) throw new Error(`expected: ${what}`);
}

function farmsCsv(n, badLine) {
  const rows = ['name,number,permit_number,permit_issued_on,pounds_daily,listing'];
  for (let i = 0; i < n; i++) {
    const number = i + 2 === badLine ? '' : `88-${String(i).padStart(4, '0')}`;
    rows.push(`Browser Farm ${i},${number},BP-${String(i).padStart(4, '0')},2026-01-15,${1000 + i},btu-1`);
  }
  return rows.join('\n') + '\n';
}

function day(n) {
  const d = new Date(Date.now() - n * 86400000);
  return d.toISOString().slice(0, 10);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const seen = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15000);
  await page.goto(`${base}/review/login`);
  await page.fill('input[name=agency]', 'demo');
  await page.fill('input[name=username]', 'sue');
  await page.fill('input[name=password]', 'milkshed-demo');
  await page.click('button[type=submit]');
  await page.waitForSelector('#queue');

  // a farm by the form
  await page.click('header a:has-text("Farms, plants, haulers")');
  await page.click('a:has-text("New facility")');
  await page.selectOption('#new-facility select[name=kind]', 'dairy_farm');
  await page.fill('#new-facility input[name=name]', 'Maple Hollow Dairy');
  await page.fill('#new-facility input[name=number]', '55-0999');
  await page.fill('#new-facility input[name=pounds_daily]', '2400');
  await page.fill('#new-facility input[name=permit_number]', 'FP-1999');
  await page.fill('#new-facility input[name=permit_issued_on]', '2026-03-02');
  await page.selectOption('#new-facility select[name=listing]', 'btu-1');
  await page.screenshot({ path: `${shots}/desk-1-new-farm.png`, fullPage: true });
  await page.click('#new-facility button[type=submit]');
  await page.waitForSelector('h1:has-text("Maple Hollow Dairy")');
  expect((await page.textContent('main')).includes('FP-1999'), 'the new farm shows its permit');

  // a CSV of 200 farms with a bad row: refused whole, by line and field
  await page.goto(`${base}/review/facilities/import`);
  await page.setInputFiles('#import-form input[type=file]', {
    name: 'farms.csv', mimeType: 'text/csv', buffer: Buffer.from(farmsCsv(200, 57)),
  });
  await page.click('#import-form button[type=submit]');
  await page.waitForSelector('#import-refused');
  const problem = await page.textContent('#import-problems tbody tr');
  expect(problem.includes('57') && problem.includes('number'), `line 57's number is named: ${problem}`);
  await page.screenshot({ path: `${shots}/desk-2-import-refused.png` });
  const before = await page.request.get(`${base}/review/facilities`);
  expect(!(await before.text()).includes('Browser Farm 0'), 'nothing written from the refused file');
  // the good file: checked, then imported
  await page.setInputFiles('#import-form input[type=file]', {
    name: 'farms.csv', mimeType: 'text/csv', buffer: Buffer.from(farmsCsv(200)),
  });
  await page.click('#import-form button[type=submit]');
  await page.waitForSelector('#import-ready');
  expect((await page.locator('#import-rows tbody tr').count()) === 200, 'all 200 rows checked');
  await page.screenshot({ path: `${shots}/desk-3-import-preview.png` });
  await page.click('#import-confirm');
  await page.waitForSelector('#import-done');
  expect((await page.textContent('#import-done')).includes('200 facilities imported'), 'imported');
  const after = await page.request.get(`${base}/review/facilities`);
  expect(((await after.text()).match(/Browser Farm \d+</g) || []).length === 200, '200 farms in the registry');

  // suspend Roy Harris's permit and print its letter
  await page.goto(`${base}/review/facilities/farm-1`);
  await page.selectOption('#action-form select[name=kind]', 'suspension');
  await page.fill('#action-form input[name=cause]', '3 of the last 5 bacteria counts over the standard');
  await page.fill('#action-form textarea[name=findings]', 'Bacteria 140,000; 180,000; 210,000 per mL.');
  await page.fill('#action-form input[name=recipient]', 'roy.harris@farm.example');
  await page.click('#action-form button[type=submit]');
  await page.waitForSelector('section.letter');
  expect((await page.textContent('section.letter')).includes('Rule cited'), 'the letter cites its rule');
  await page.screenshot({ path: `${shots}/desk-4-letter.png`, fullPage: true });
  await page.click('button:has-text("Approve, date and send")');
  await page.waitForSelector('a.letter-pdf');
  const pdfUrl = await page.getAttribute('a.letter-pdf', 'href');
  const pdf = await page.request.get(`${base}${pdfUrl}`);
  expect(pdf.status() === 200 && (await pdf.body()).subarray(0, 5).toString() === '%PDF-', 'the letter prints as a PDF');
  seen.letter_pdf = (await pdf.body()).length;
  await page.goto(`${base}/review/facilities/farm-1`);
  expect((await page.textContent('main')).includes('now suspended'), 'the permit is suspended');

  // lab results that raise a 2-of-4 warning
  await page.click('header a:has-text("Laboratory")');
  const lab = ['lab_number,sample_date,subject_id,standard,value,procedure',
    `55001,${day(25)},farm-6,bacteria,30000,2`, `55001,${day(20)},farm-6,bacteria,150000,2`,
    `55001,${day(15)},farm-6,bacteria,40000,2`, `55001,${day(10)},farm-6,bacteria,160000,2`].join('\n') + '\n';
  await page.setInputFiles('#lab-upload input[type=file]', { name: 'lab.csv', mimeType: 'text/csv', buffer: Buffer.from(lab) });
  await page.click('#lab-upload button[type=submit]');
  await page.waitForSelector('#lab-actions');
  expect((await page.textContent('#lab-actions')).includes('2 of the last 4 over'), 'the 2-of-4 warning');
  await page.screenshot({ path: `${shots}/desk-5-lab.png` });
  await page.click('#lab-actions a:has-text("farm-6")');
  await page.waitForSelector('#ledger-bacteria svg');
  expect((await page.textContent('#ledger-bacteria')).includes('written notice'), 'the ledger says what is due');
  await page.screenshot({ path: `${shots}/desk-6-ledger.png` });

  // the conflict two devices made
  await page.click('header a:has-text("Conflicts")');
  await page.click('#conflicts tbody a');
  await page.waitForSelector('section.conflict');
  const rows = page.locator('section.conflict tbody tr');
  expect((await rows.count()) === 2, 'both values shown');
  seen.chosen = (await rows.nth(1).locator('td strong').textContent()).trim();
  expect((await rows.nth(1).textContent()).includes('Ann Lindqvist'), 'who set it');
  await rows.nth(1).locator('input[type=radio]').check();
  await page.screenshot({ path: `${shots}/desk-7-conflict.png`, fullPage: true });
  await page.click('section.conflict button:has-text("Keep the chosen value")');
  await page.waitForSelector('#resolved');

  // reassign a farm
  await page.goto(`${base}/review/facilities/farm-12`);
  await page.selectOption('#assign-form select[name=user]', { label: 'Ann Lindqvist' });
  await page.fill('#assign-form input[name=reason]', 'route change');
  await page.click('#assign-form button[type=submit]');
  await page.waitForSelector('#assigned:has-text("Ann Lindqvist")');
  await page.screenshot({ path: `${shots}/desk-8-assign.png`, fullPage: true });

  // the letter's e-mail leaves the outbox
  let sent = false;
  for (let i = 0; i < 60 && !sent; i++) {
    await page.goto(`${base}/review/outbox`);
    sent = (await page.textContent('#outbox')).includes('sent 20');
    if (!sent) await page.waitForTimeout(500);
  }
  expect(sent, 'the outbox sent the letter');
  await page.screenshot({ path: `${shots}/desk-9-outbox.png` });

  // every action in the audit log
  await page.click('header a:has-text("Audit log")');
  const log = await page.textContent('#audit');
  for (const a of ['facility.added', 'facility.imported', 'action.suspension', 'permit.status', 'letter.approved',
    'lab.imported', 'inspection.conflict_resolved', 'facility.assigned']) {
    expect(log.includes(a), `${a} in the audit log`);
  }
  await page.fill('form.filters input[name=action]', 'letter');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/action=letter/);
  expect((await page.locator('#audit tbody tr').count()) === 2, 'drafted and approved');
  await page.screenshot({ path: `${shots}/desk-10-audit.png` });
  const csv = await page.request.get(`${base}/review/audit.csv?action=letter`);
  expect((await csv.text()).includes('letter.approved'), 'the CSV export');
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
