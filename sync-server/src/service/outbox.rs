//! The outbox: e-mails the agency sends (approved letters to permit holders, returned
//! inspections to their inspector, the 2359o reminders and overdue work to supervisors). A
//! change queues its e-mail in its own transaction; a sender sends what is due over SMTP
//! (`lettre`), records every attempt, and retries a failure with a growing wait.

use chrono::{DateTime, Duration, Utc};
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Message, SmtpTransport, Transport};
use milkshed_shared::document::Inspection;

use crate::db::{self, desk, Db};
use crate::service::{ServiceError, ServiceResult};

/// Attempts before an e-mail is given up (the last waits [`MAX_WAIT_MINUTES`]).
pub const MAX_ATTEMPTS: i64 = 8;
/// The longest wait between two attempts.
pub const MAX_WAIT_MINUTES: i64 = 6 * 60;

/// The wait after failed attempt `n` (1-based): 1, 2, 4, … minutes, at most 6 hours.
pub fn backoff(n: i64) -> Duration {
    let minutes = 1i64 << (n.clamp(1, 20) - 1);
    Duration::minutes(minutes.min(MAX_WAIT_MINUTES))
}

/// Whether an address is one an e-mail may be sent to (the SMTP server has the last word).
pub fn check_address(a: &str) -> Result<(), String> {
    a.trim()
        .parse::<Mailbox>()
        .map(|_| ())
        .map_err(|_| format!("\"{}\" is not an e-mail address", a.trim()))
}

/// Sets where a user's notifications go (`None`: nowhere): a supervisor's or an
/// administrator's.
pub fn set_user_email(
    db: &Db,
    caller: &crate::db::Caller,
    user: &str,
    email: Option<&str>,
) -> ServiceResult<()> {
    crate::service::office::office(caller, "users' e-mail addresses")?;
    if let Some(e) = email {
        check_address(e).map_err(ServiceError::bad_request)?;
    }
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    if desk::set_user_email(&tx, &caller.agency_id, user, email.map(str::trim))? == 0 {
        return Err(ServiceError::not_found("user"));
    }
    crate::service::audit(
        &tx,
        caller,
        "user.email",
        user,
        email
            .map(|e| format!("notifications to {}", e.trim()))
            .unwrap_or_else(|| "no notifications".into()),
    )?;
    tx.commit()?;
    Ok(())
}

/// Queues the e-mail that tells an inspector her inspection was returned (none when her user
/// has no address).
pub fn returned_inspection(
    conn: &crate::db::Conn,
    agency: &str,
    doc: &Inspection,
    id: &str,
    reviewer: &str,
) -> ServiceResult<()> {
    let Some(to) = db::desk::users(conn, agency)?
        .into_iter()
        .find(|u| u.0 == doc.header.inspector.id.as_str())
        .and_then(|u| u.3)
    else {
        return Ok(());
    };
    let comment = doc
        .reviews
        .last()
        .map(|r| r.comment.clone())
        .unwrap_or_default();
    let body = format!(
        "{reviewer} returned your {} inspection of {} ({}).\n\n{comment}\n\nOpen it on your device after its next sync to answer the comments.",
        doc.header.kind.as_str().replace('_', " "),
        doc.header.subject.name,
        doc.header.started_at.format("%Y-%m-%d"),
    );
    desk::queue_mail(
        conn,
        agency,
        &desk::NewMail {
            kind: "returned_inspection",
            recipient: &to,
            subject: &format!("Returned: {}", doc.header.subject.name),
            body: &body,
            attachment: None,
            about: id,
        },
    )?;
    Ok(())
}

/// Where and as whom the server sends: `smtp://host:port` (plain, loopback or a trusted
/// relay), `smtp://host:587?tls=required` or `smtps://user:pass@host` (lettre's URL form).
#[derive(Clone)]
pub struct Smtp {
    pub url: String,
    pub from: Mailbox,
}

impl Smtp {
    pub fn new(url: &str, from: &str) -> Result<Smtp, String> {
        SmtpTransport::from_url(url).map_err(|e| format!("--smtp {url}: {e}"))?;
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("--mail-from {from}: {e}"))?;
        Ok(Smtp {
            url: url.to_string(),
            from,
        })
    }
}

fn message(from: &Mailbox, m: &desk::Mail) -> Result<Message, String> {
    let to: Mailbox = m
        .recipient
        .parse()
        .map_err(|e| format!("recipient {}: {e}", m.recipient))?;
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(m.subject.clone());
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone());
    let built = match (&m.attachment_name, &m.attachment) {
        (Some(name), Some(bytes)) => {
            builder.multipart(MultiPart::mixed().singlepart(text).singlepart(
                Attachment::new(name.clone()).body(
                    bytes.clone(),
                    ContentType::parse("application/pdf").map_err(|e| e.to_string())?,
                ),
            ))
        }
        _ => builder.singlepart(text),
    };
    built.map_err(|e| e.to_string())
}

/// The day's digest for each supervisor with an address: the work overdue and the 2359o not
/// back (the board's lines), queued once per agency and day, when there is any. Answers how many
/// were queued.
pub fn queue_digests(db: &Db) -> ServiceResult<usize> {
    let mut conn = db.write()?;
    let tx = conn.transaction()?;
    // one instance at a time looks at the day (each instance runs a sender)
    tx.lock("outbox digests")?;
    let mut queued = 0;
    for agency in desk::agency_ids(&tx)? {
        let today = db::registry::agency_today(&tx, &agency)?;
        let about = format!("digest:{today}");
        if desk::digest_day(&tx, &agency)?.as_deref() == Some(today.to_string().as_str())
            || desk::mail_queued(&tx, &agency, &about)?
        {
            continue;
        }
        // nobody to tell: look again when someone has an address (no board computed meanwhile)
        let supervisors: Vec<String> = desk::users(&tx, &agency)?
            .into_iter()
            .filter(|u| u.2 == "supervisor" || u.2 == "rating_officer")
            .filter_map(|u| u.3)
            .collect();
        if supervisors.is_empty() {
            continue;
        }
        // the board once a day, under the writer: a day's look is recorded whatever it finds
        desk::set_digest_day(&tx, &agency, &today.to_string())?;
        let b = crate::service::board::board(&tx, &agency, today, None)?;
        let overdue: Vec<String> = b
            .overdue_inspections
            .iter()
            .map(|i| format!("- {}: routine inspection overdue since {}", i.name, i.due))
            .chain(
                b.reinspections
                    .iter()
                    .filter(|r| r.overdue)
                    .map(|r| format!("- {}: reinspection due by {}", r.name, r.due)),
            )
            .chain(b.overdue_actions.iter().map(|a| {
                format!(
                    "- {}: {} due {}",
                    a.subject,
                    a.kind.replace('_', " "),
                    a.due_on
                )
            }))
            .collect();
        let listings: Vec<String> = b
            .listings
            .iter()
            .map(|l| format!("- {}: {}", l.shipper, l.problems.join("; ")))
            .collect();
        if overdue.is_empty() && listings.is_empty() {
            continue;
        }
        let mut body = format!("What is overdue on {today}:\n\n");
        if !overdue.is_empty() {
            body.push_str(&format!(
                "Overdue work ({}):\n{}\n\n",
                overdue.len(),
                overdue.join("\n")
            ));
        }
        if !listings.is_empty() {
            body.push_str(&format!(
                "Listings and 2359o ({}):\n{}\n\n",
                listings.len(),
                listings.join("\n")
            ));
        }
        body.push_str("The board on the review pages lists each with its rule.");
        for to in &supervisors {
            desk::queue_mail(
                &tx,
                &agency,
                &desk::NewMail {
                    kind: "digest",
                    recipient: to,
                    subject: &format!("Overdue work and 2359o reminders, {today}"),
                    body: &body,
                    attachment: None,
                    about: &about,
                },
            )?;
            queued += 1;
        }
    }
    tx.commit()?;
    Ok(queued)
}

/// Sends every e-mail that is due, recording each attempt; answers how many were sent. Runs
/// on the sender's thread (blocking SMTP).
pub fn send_due(db: &Db, smtp: &Smtp, now: DateTime<Utc>) -> ServiceResult<usize> {
    let due = {
        let conn = db.read()?;
        desk::mail_due(&conn, &now.to_rfc3339(), 50)?
    };
    if due.is_empty() {
        return Ok(0);
    }
    let transport = SmtpTransport::from_url(&smtp.url)
        .map_err(ServiceError::internal)?
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build();
    let mut sent = 0;
    for m in due {
        // Several instances each run a sender: on PostgreSQL an e-mail is claimed for the
        // send (its lock, held to the attempt's commit; another instance skips it) and looked
        // at again, in case another instance sent it since the list was read. SQLite's server
        // is one process, and its one writer is not held across a send.
        let mut claim = match db.dialect() {
            db::Dialect::Postgres => Some(db.write()?),
            db::Dialect::Sqlite => None,
        };
        let claimed = match claim.as_mut() {
            Some(c) => {
                let tx = c.transaction()?;
                if !tx.try_lock(&format!("outbox {}", m.id))?
                    || desk::mail_attempts(&tx, &m.id)? != m.attempts
                {
                    continue;
                }
                Some(tx)
            }
            None => None,
        };
        let outcome = message(&smtp.from, &m).and_then(|msg| {
            transport
                .send(&msg)
                .map(|r| format!("{} {}", r.code(), r.message().collect::<Vec<_>>().join(" ")))
                .map_err(|e| e.to_string())
        });
        let record = |conn: &db::Conn| -> ServiceResult<bool> {
            match &outcome {
                Ok(reply) => {
                    desk::mail_attempt(conn, &m.id, true, reply, None)?;
                    Ok(true)
                }
                Err(e) => {
                    let n = m.attempts + 1;
                    let next = (n < MAX_ATTEMPTS).then(|| (now + backoff(n)).to_rfc3339());
                    desk::mail_attempt(conn, &m.id, false, e, next.as_deref())?;
                    Ok(false)
                }
            }
        };
        let ok = match claimed {
            Some(tx) => {
                let ok = record(&tx)?;
                tx.commit()?;
                ok
            }
            None => record(&db.write()?)?,
        };
        if ok {
            sent += 1;
        }
    }
    Ok(sent)
}

/// The sender: every `every`, sends what is due, until the server stops.
pub fn spawn_sender(db: Db, smtp: Smtp, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let (db, smtp) = (db.clone(), smtp.clone());
            let round = move || {
                queue_digests(&db)?;
                send_due(&db, &smtp, Utc::now())
            };
            match tokio::task::spawn_blocking(round).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => eprintln!("milkshed-server: outbox: {}", e.message),
                Err(e) => eprintln!("milkshed-server: outbox: {e}"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_six_hours() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(4), Duration::minutes(8));
        assert_eq!(backoff(12), Duration::minutes(360));
        assert_eq!(backoff(0), Duration::minutes(1));
    }

    #[test]
    fn addresses_are_checked() {
        assert!(check_address("holder@example.org").is_ok());
        assert!(check_address("not an address").is_err());
    }
}
