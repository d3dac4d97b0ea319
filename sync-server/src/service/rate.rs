//! `milkshed-server rate WORKSHEET.json`: rate a worksheet in the exchange format of
//! `shared/spec/worksheet-format.md` and print the result as JSON.

use std::io::Read;
use std::path::Path;

use milkshed_shared::worksheet::{self, WorksheetError};

/// The largest worksheet accepted (a 10,000-farm 2359k is about 2 MB).
pub const MAX_WORKSHEET_BYTES: u64 = 64 * 1024 * 1024;

/// Why a worksheet could not be rated.
#[derive(Debug, thiserror::Error)]
pub enum RateError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is larger than {MAX_WORKSHEET_BYTES} bytes; split the worksheet")]
    TooLarge { path: String },
    #[error("{path} is not UTF-8 text")]
    NotText { path: String },
    #[error("{path}: {source}")]
    Worksheet {
        path: String,
        source: WorksheetError,
    },
}

/// Reads and rates the worksheet at `path` (`-` for standard input); returns the result JSON.
pub fn rate_file(path: &Path) -> Result<String, RateError> {
    let shown = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_WORKSHEET_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_WORKSHEET_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|source| RateError::Read {
        path: shown.clone(),
        source,
    })?;
    if bytes.len() as u64 > MAX_WORKSHEET_BYTES {
        return Err(RateError::TooLarge { path: shown });
    }
    let text = String::from_utf8(bytes).map_err(|_| RateError::NotText {
        path: shown.clone(),
    })?;
    worksheet::rate_json(&text).map_err(|source| RateError::Worksheet {
        path: shown,
        source,
    })
}
