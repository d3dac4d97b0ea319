//! `milkshed-server`: the agency server's command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "milkshed-server", version, about = "Milkshed agency server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Rate a FORM 2359k, 2359L or combined raw-milk worksheet (JSON) and print the result.
    Rate {
        /// The worksheet file, or `-` for standard input.
        worksheet: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Rate { worksheet } => match milkshed_sync_server::rate::rate_file(&worksheet) {
            Ok(json) => {
                let mut out = std::io::stdout().lock();
                if out
                    .write_all(json.as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return ExitCode::from(1);
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("milkshed-server: {e}");
                ExitCode::from(2)
            }
        },
    }
}
