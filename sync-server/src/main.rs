//! `milkshed-server`: the agency server's command line.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use milkshed_sync_server::http::server::{AppState, StartError};
use milkshed_sync_server::service::auth::{hash_password, Role};
use milkshed_sync_server::{db, service::demo};

#[derive(Parser)]
#[command(name = "milkshed-server", version, about = "Milkshed agency server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve devices and supervisors from a data directory (SQLite and photo files).
    Serve {
        /// The data directory (created if missing): the photos, and the agency record's
        /// SQLite file unless `--database` names a PostgreSQL database.
        #[arg(long)]
        data: PathBuf,
        /// The agency record on PostgreSQL, shared by every server instance given the same
        /// URL: `postgres://user:password@host:5432/milkshed` (libpq's parameters, such as
        /// `?sslmode=`, are not read: use a loopback or private network). Without it the
        /// record is `DATA/agency.db`.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// The photos' object store, shared by every server instance given the same URL:
        /// `s3://bucket/prefix` (credentials, region and `AWS_ENDPOINT` for an S3-compatible
        /// service from the usual `AWS_*` environment variables) or `file:///shared/dir`.
        /// Without it photos are kept in the data directory.
        #[arg(long, value_name = "URL")]
        photos: Option<String>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Seed a demo agency (users, farms, plants, haulers, inspections) into an empty directory.
        #[arg(long)]
        demo: bool,
        /// TLS certificate chain (PEM).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Allow plain HTTP on an address other than loopback (behind a TLS proxy).
        #[arg(long)]
        allow_plain_http: bool,
        /// Send the outbox's e-mails through this SMTP server: `smtp://host:port` (plain, a
        /// relay on a trusted network), `smtp://host:587?tls=required`, `smtps://user:pass@host`.
        /// Without it, e-mails wait in the outbox.
        #[arg(long, requires = "mail_from")]
        smtp: Option<String>,
        /// The sender of the outbox's e-mails, e.g. `Dairy Program <dairy@agency.example>`.
        #[arg(long, requires = "smtp")]
        mail_from: Option<String>,
        /// Seconds between two looks at the outbox.
        #[arg(long, default_value_t = 15)]
        mail_every: u64,
    },
    /// Administer agencies, users and devices.
    Admin {
        #[arg(long)]
        data: PathBuf,
        /// The agency record on PostgreSQL (as `serve --database`).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        #[command(subcommand)]
        action: Admin,
    },
    /// Rate a FORM 2359k, 2359L or combined raw-milk worksheet (JSON) and print the result.
    Rate {
        /// The worksheet file, or `-` for standard input.
        worksheet: PathBuf,
    },
}

#[derive(Subcommand)]
enum Admin {
    /// Create an agency.
    CreateAgency { id: String, name: String },
    /// Add a user; the password is read from standard input.
    AddUser {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// sanitarian, hauler_sampler_evaluator, rating_officer, supervisor or admin
        #[arg(long)]
        role: String,
    },
    /// Set a user's password (read from standard input).
    ResetPassword {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        username: String,
    },
    /// Revoke a device: its token stops working at once.
    RevokeDevice { device_id: String },
    /// List an agency's devices.
    Devices {
        #[arg(long)]
        agency: String,
    },
    /// Change an agency's settings: adopt a reference edition (records keep the edition they
    /// were checked against), its time zone, home State, or a longer retention.
    SetAgency {
        #[arg(long)]
        agency: String,
        /// ims-2004 or form-2359i-2011
        #[arg(long)]
        reference_edition: Option<String>,
        /// IANA name, e.g. America/Chicago: deadlines run on this calendar
        #[arg(long)]
        time_zone: Option<String>,
        /// Two-letter State whose permits the agency issues
        #[arg(long)]
        home_state: Option<String>,
        /// Months signed records are kept (at least 24)
        #[arg(long)]
        retention_months: Option<u32>,
    },
}

fn read_password() -> anyhow::Result<String> {
    eprint!("password: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\n', '\r']).to_string();
    if p.chars().count() < 10 {
        bail!("a password has at least 10 characters");
    }
    Ok(p)
}

fn admin(location: db::Location, action: Admin) -> anyhow::Result<()> {
    let conn =
        db::open_at(&location).with_context(|| format!("opening {}", location.describe()))?;
    match action {
        Admin::CreateAgency { id, name } => {
            db::create_agency(&conn, &id, &name)?;
            println!("created agency {id}");
        }
        Admin::AddUser {
            agency,
            username,
            name,
            role,
        } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role}"))?;
            if !db::agency_exists(&conn, &agency)? {
                bail!("no agency {agency}");
            }
            let hash = hash_password(&read_password()?)?;
            let id = db::add_user(&conn, &agency, &username, &name, role, &hash)?;
            println!("added {username} ({}) as {id}", role.as_str());
        }
        Admin::ResetPassword { agency, username } => {
            let hash = hash_password(&read_password()?)?;
            if !db::set_password(&conn, &agency, &username, &hash)? {
                bail!("no user {username} in {agency}");
            }
            println!("password reset for {username}");
        }
        Admin::RevokeDevice { device_id } => {
            if !db::revoke_device(&conn, &device_id)? {
                bail!("no active device {device_id}");
            }
            println!("revoked {device_id}");
        }
        Admin::SetAgency {
            agency,
            reference_edition,
            time_zone,
            home_state,
            retention_months,
        } => {
            let change = milkshed_sync_server::service::registry::AgencyChange {
                reference_edition: reference_edition.as_deref(),
                time_zone: time_zone.as_deref(),
                home_state: home_state.as_deref(),
                retention_months,
            };
            milkshed_sync_server::service::registry::set_agency(&conn, &agency, &change)
                .map_err(|e| anyhow::anyhow!(e))?;
            println!("updated agency {agency}");
        }
        Admin::Devices { agency } => {
            for d in db::devices(&conn, &agency)? {
                let state = if d.revoked { "revoked" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    d.id, d.username, d.name, d.created_at
                );
            }
        }
    }
    Ok(())
}

/// Where the outbox sends, and how often it looks.
struct Mail {
    smtp: Option<(String, String)>,
    every: u64,
}

/// Where the server keeps what it stores: its data directory, the agency record, the photos.
struct Storage {
    data: PathBuf,
    location: db::Location,
    photos: Option<String>,
}

async fn serve(
    Storage {
        data,
        location,
        photos,
    }: Storage,
    listen: SocketAddr,
    with_demo: bool,
    tls: Option<(PathBuf, PathBuf)>,
    allow_plain_http: bool,
    mail: Mail,
) -> anyhow::Result<()> {
    // opening and seeding wait on the database: on a blocking thread (PostgreSQL's client
    // may not block an async one)
    let opened = {
        let (data, location, photos) = (data.clone(), location.clone(), photos.clone());
        tokio::task::spawn_blocking(move || {
            AppState::open_with(&data, &location, photos.as_deref())
        })
        .await?
    };
    let mut state = opened.with_context(|| format!("opening {}", location.describe()))?;
    eprintln!("milkshed-server: photos in {}", state.blobs.describe());
    state.secure_cookies = tls.is_some();
    if let Some((url, from)) = &mail.smtp {
        let smtp = milkshed_sync_server::service::outbox::Smtp::new(url, from)
            .map_err(|e| anyhow::anyhow!(e))?;
        state.mail = Some((smtp, std::time::Duration::from_secs(mail.every.max(1))));
        eprintln!("milkshed-server: sending the outbox as {from}");
    }
    let state = Arc::new(state);
    if with_demo {
        let st = state.clone();
        let seeded = tokio::task::spawn_blocking(move || {
            demo::seed(&st.db, &st.server_actor).map_err(|e| e.to_string())
        })
        .await?
        .map_err(|e| anyhow::anyhow!("seeding the demo: {e}"))?;
        if seeded {
            eprintln!(
                "seeded the demo agency `{}`: users {} (password `{}`)",
                demo::AGENCY,
                demo::USERS
                    .iter()
                    .map(|u| u.0)
                    .collect::<Vec<_>>()
                    .join(", "),
                demo::PASSWORD
            );
        }
    }
    match tls {
        Some((cert, key)) => {
            eprintln!(
                "milkshed-server: serving https://{listen} from {}",
                location.describe()
            );
            milkshed_sync_server::http::server::serve_tls(state, listen, &cert, &key).await?;
        }
        None => {
            if !listen.ip().is_loopback() && !allow_plain_http {
                return Err(StartError::PlainHttp(listen).into());
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            eprintln!(
                "milkshed-server: serving http://{} from {}",
                listener.local_addr()?,
                location.describe()
            );
            milkshed_sync_server::http::server::launch_with_listener(state, listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Rate { worksheet } => {
            match milkshed_sync_server::service::rate::rate_file(&worksheet) {
                Ok(json) => {
                    let mut out = std::io::stdout().lock();
                    if out
                        .write_all(json.as_bytes())
                        .and_then(|()| out.flush())
                        .is_err()
                    {
                        return ExitCode::from(1);
                    }
                    return ExitCode::SUCCESS;
                }
                Err(e) => {
                    eprintln!("milkshed-server: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        Command::Admin {
            data,
            database,
            action,
        } => match db::Location::from_args(database.as_deref(), &data) {
            Ok(location) => admin(location, action),
            Err(e) => Err(anyhow::anyhow!(e)),
        },
        Command::Serve {
            data,
            database,
            photos,
            listen,
            demo,
            tls_cert,
            tls_key,
            allow_plain_http,
            smtp,
            mail_from,
            mail_every,
        } => match (
            tokio::runtime::Runtime::new(),
            db::Location::from_args(database.as_deref(), &data),
        ) {
            (_, Err(e)) => Err(anyhow::anyhow!(e)),
            (Err(e), _) => Err(e.into()),
            (Ok(rt), Ok(location)) => rt.block_on(serve(
                Storage {
                    data,
                    location,
                    photos,
                },
                listen,
                demo,
                tls_cert.zip(tls_key),
                allow_plain_http,
                Mail {
                    smtp: smtp.zip(mail_from),
                    every: mail_every,
                },
            )),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("milkshed-server: {e:#}");
            ExitCode::from(1)
        }
    }
}
