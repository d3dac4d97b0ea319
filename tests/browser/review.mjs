// Drives the review pages in Debian's headless Chromium: sign in as a supervisor, filter the
// queue, open the submitted inspection, return it with an overall comment and one on a finding,
// look at the board and the registers, and open each export. Prints one JSON line of what it
// saw; exits non-zero on the first thing that is not as it should be.
//
// usage: node review.mjs BASE_URL SCREENSHOT_DIR
import { chromium } from 'playwright-core';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node review.mjs BASE_URL SCREENSHOT_DIR');
  process.exit(2);
}

function expect(cond, what) {
  if (!cond) throw new Error(`expected: ${what}`);
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

  // a wrong password is refused on the page
  await page.goto(`${base}/review`);
  expect(page.url().endsWith('/review/login'), 'the queue sends a stranger to sign in');
  await page.fill('input[name=agency]', 'demo');
  await page.fill('input[name=username]', 'sue');
  await page.fill('input[name=password]', 'not-it');
  await page.click('button[type=submit]');
  expect(await page.isVisible('text=Wrong agency, user name or password.'), 'a refusal on bad credentials');
  await page.screenshot({ path: `${shots}/review-1-sign-in.png` });

  await page.fill('input[name=password]', 'milkshed-demo');
  await page.click('button[type=submit]');
  await page.waitForSelector('#queue');
  const rows = await page.locator('#queue tbody tr').count();
  expect(rows === 17, `the demo's 3 inspections, its 2 hauler/sampler evaluations and the 12 rating visits, saw ${rows}`);
  await page.selectOption('select[name=kind]', 'routine_farm');
  await page.selectOption('select[name=status]', 'submitted');
  await Promise.all([
    page.waitForURL(/status=submitted/),
    page.click('form.filters button[type=submit]'),
  ]);
  await page.waitForSelector('#queue');
  const submitted = await page.locator('#queue tbody tr').count();
  expect(submitted === 1, `one submitted routine inspection, saw ${submitted} at ${page.url()}`);
  await page.screenshot({ path: `${shots}/review-2-queue.png` });

  await page.click('#queue a:has-text("Roy Harris")');
  await page.waitForSelector('#findings');
  expect((await page.textContent('#integrity')).includes('Verified'), 'the signature verifies');
  seen.total_debits = (await page.textContent('#total-debits')).trim();
  await page.fill('textarea[name=comment]', 'Please describe the well casing you found.');
  await page.fill('input[name="item:2A"]', 'Is the well cap sealed? Add a photo.');
  await page.screenshot({ path: `${shots}/review-3-inspection.png`, fullPage: true });
  await page.click('button.return');
  await page.waitForSelector('text=Returned by Sue Marchetti');
  expect(await page.isVisible('text=Is the well cap sealed? Add a photo.'), 'the item comment shows');
  expect((await page.textContent('#history')).includes('Sue Marchetti on the review pages'), 'the history names the reviewer');
  seen.inspection = page.url().split('/').pop();

  await page.click('header a:has-text("Overdue & breached")');
  await page.waitForSelector('h2');
  const board = await page.textContent('main');
  for (const s of ['Enforcement actions past their deadline', 'Laboratory ledger', 'Drug residue', 'IMS listings', 'not Grade "A"', 'Routine inspections overdue']) {
    expect(board.includes(s), `the board lists ${s}`);
  }
  await page.screenshot({ path: `${shots}/review-4-board.png`, fullPage: true });

  await page.click('header a:has-text("Farms, plants, haulers")');
  await page.click('#facilities a:has-text("Wm. Long")');
  expect((await page.textContent('main')).includes('suspended'), 'the suspended permit shows on the farm');
  await page.screenshot({ path: `${shots}/review-5-farm.png`, fullPage: true });

  await page.click('header a:has-text("Ratings & listings")');
  expect((await page.textContent('#listings')).includes('Great Cows BTU'), 'the BTU listing');
  await page.screenshot({ path: `${shots}/review-6-listings.png`, fullPage: true });

  // the BTU's 2359k from the synced rating visits, then its 2359i
  await page.click('#sheets a:has-text("Great Cows BTU")');
  await page.waitForSelector('#sheet');
  seen.rating_2359k = (await page.textContent('#rating')).trim();
  expect((await page.locator('#sheet tbody tr').count()) === 12, 'twelve farms on the 2359k');
  await page.screenshot({ path: `${shots}/review-7-2359k.png`, fullPage: true });
  await page.goBack();
  await page.click('#listings a:has-text("2359i")');
  await page.waitForSelector('#form-2359i');
  seen.check_2359i = (await page.textContent('#check')).trim();
  await page.screenshot({ path: `${shots}/review-8-2359i.png`, fullPage: true });
  const pdfs = [`${base}/review/ratings/btu-1/pdf`, page.url() + '/pdf'];

  // each PDF and CSV export, with the session's cookie
  for (const url of pdfs) {
    const r = await page.request.get(url);
    expect(r.status() === 200, `${url} answers 200`);
    expect(r.headers()['content-type'] === 'application/pdf', `${url} is a PDF`);
    const body = await r.body();
    expect(body.subarray(0, 5).toString() === '%PDF-', `${url} starts as a PDF`);
    seen[url.replace(base, '')] = body.length;
  }
  for (const path of ['/review/export/findings.csv', '/review/export/inspections.csv?status=returned', '/review/export/ratings.csv']) {
    const r = await page.request.get(`${base}${path}`);
    expect(r.status() === 200, `${path} answers 200`);
    expect((r.headers()['content-type'] || '').startsWith('text/csv'), `${path} is CSV`);
    const text = await r.text();
    seen[path] = text.split('\n').filter((l) => l).length;
    const want = path.includes('ratings') ? 'Great Cows BTU' : 'Roy Harris';
    expect(text.includes(want), `${path} has ${want}`);
  }

  await page.click('header button:has-text("Sign out")');
  await page.waitForURL('**/review/login');
  await page.goto(`${base}/review`);
  expect(page.url().includes('/review/login'), 'signed out');
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
