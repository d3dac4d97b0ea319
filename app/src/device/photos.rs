//! Photos from the camera or a file: decoded (JPEG, PNG), turned upright by their EXIF
//! orientation, shrunk to at most 1600 px on the long side, re-encoded as JPEG (quality 80,
//! which drops every EXIF tag), with a 320 px thumbnail, and addressed by SHA-256. Taken-at and
//! GPS are read from the EXIF first, for the inspection document to keep.
//!
//! Hostile input is refused before it can cost memory: over 40 MB of bytes, over 100
//! megapixels, anything that is not a JPEG or PNG (HEIC gets its own message).

use std::io::Cursor;

use chrono::NaiveDateTime;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use milkshed_shared::document::sha256_hex;

pub use milkshed_shared::photo::{
    MAX_INPUT_BYTES, MAX_PIXELS, STORED_MAX_SIDE as MAX_SIDE, THUMB_SIDE,
};
/// JPEG quality of the stored photo and thumbnail.
pub const JPEG_QUALITY: u8 = 80;

/// Why a photo was refused. The inspection is never affected.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo is {0} bytes; the limit is 40 MB")]
    TooLarge(usize),
    #[error("the photo is {0} × {1} pixels; the limit is 100 megapixels")]
    TooManyPixels(u32, u32),
    #[error("HEIC photos are not supported: set the camera to save JPEG (\"Most Compatible\")")]
    Heic,
    #[error("this file is not a JPEG or PNG photo")]
    NotAnImage,
    #[error("the photo is damaged and cannot be read: {0}")]
    Corrupt(String),
    #[error("the photo could not be saved: {0}")]
    Encode(String),
}

/// A photo ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedPhoto {
    /// SHA-256 of `jpeg`, lower-case hex.
    pub hash: String,
    pub jpeg: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// When the photo was taken, from EXIF (camera local time, no offset).
    pub taken_at: Option<NaiveDateTime>,
    /// Where, from EXIF, as decimal degrees text.
    pub gps: Option<(String, String)>,
}

fn is_heic(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && matches!(
            &bytes[8..12],
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"mif1" | b"msf1" | b"avif"
        )
}

fn encode(img: &DynamicImage) -> Result<Vec<u8>, PhotoError> {
    let rgb = img.to_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

fn shrink(img: &DynamicImage, side: u32) -> DynamicImage {
    if img.width().max(img.height()) <= side {
        img.clone()
    } else {
        img.resize(side, side, FilterType::Triangle)
    }
}

/// Reads taken-at and GPS from a raw EXIF (TIFF) chunk.
fn exif_facts(raw: Vec<u8>) -> (Option<NaiveDateTime>, Option<(String, String)>) {
    let Ok(exif) = exif::Reader::new().read_raw(raw) else {
        return (None, None);
    };
    let taken_at = [exif::Tag::DateTimeOriginal, exif::Tag::DateTime]
        .iter()
        .find_map(|tag| {
            let f = exif.get_field(*tag, exif::In::PRIMARY)?;
            let s = f.display_value().to_string();
            NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S").ok()
        });
    let coord = |tag, reference| -> Option<String> {
        let f = exif.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Rational(v) = &f.value else {
            return None;
        };
        if v.len() < 3 || v.iter().any(|r| r.denom == 0) {
            return None;
        }
        let deg = v[0].to_f64() + v[1].to_f64() / 60.0 + v[2].to_f64() / 3600.0;
        let negative = exif
            .get_field(reference, exif::In::PRIMARY)
            .map(|r| matches!(r.display_value().to_string().as_str(), "S" | "W"))
            .unwrap_or(false);
        Some(format!("{:.6}", if negative { -deg } else { deg }))
    };
    let gps = coord(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef)
        .zip(coord(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef));
    (taken_at, gps)
}

/// Turns camera or file bytes into the stored photo and its thumbnail.
pub fn process_photo(bytes: &[u8]) -> Result<ProcessedPhoto, PhotoError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PhotoError::TooLarge(bytes.len()));
    }
    if is_heic(bytes) {
        return Err(PhotoError::Heic);
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png)) => f,
        _ => return Err(PhotoError::NotAnImage),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(40_000);
    limits.max_image_height = Some(40_000);
    limits.max_alloc = Some(milkshed_shared::photo::max_alloc(MAX_PIXELS));
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels(w, h));
    }
    if w == 0 || h == 0 {
        return Err(PhotoError::Corrupt("the image has no pixels".into()));
    }
    let exif = decoder.exif_metadata().ok().flatten();
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    img.apply_orientation(orientation);
    let (taken_at, gps) = exif.map(exif_facts).unwrap_or((None, None));
    let stored = shrink(&img, MAX_SIDE);
    let jpeg = encode(&stored)?;
    let thumb = encode(&shrink(&stored, THUMB_SIDE))?;
    Ok(ProcessedPhoto {
        hash: sha256_hex(&jpeg),
        width: stored.width(),
        height: stored.height(),
        jpeg,
        thumb,
        taken_at,
        gps,
    })
}

/// [`process_photo`] on a thread of its own, so that decoding a 12 MP photo never holds up the
/// screen; the screen awaits the answer.
pub async fn process_photo_off_thread(bytes: Vec<u8>) -> Result<ProcessedPhoto, PhotoError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(process_photo(&bytes));
    });
    rx.await
        .unwrap_or_else(|_| Err(PhotoError::Corrupt("the photo's processing stopped".into())))
}

impl ProcessedPhoto {
    /// The inspection's reference to this photo, attached to `item` (None: the inspection as a
    /// whole). The time and place are the camera's EXIF ones, read as the device's local time;
    /// `now` only where the photo carries no time of its own.
    pub fn reference(
        &self,
        item: Option<String>,
        caption: &str,
        now: &chrono::DateTime<chrono::FixedOffset>,
    ) -> milkshed_shared::document::PhotoRef {
        use chrono::TimeZone;
        let taken_at = self
            .taken_at
            .and_then(|t| chrono::Local.from_local_datetime(&t).earliest())
            .map(|t| t.fixed_offset())
            .unwrap_or(*now);
        milkshed_shared::document::PhotoRef {
            hash: self.hash.clone(),
            item,
            caption: caption.to_string(),
            taken_at: Some(taken_at),
            width: self.width,
            height: self.height,
            gps: self
                .gps
                .clone()
                .map(|(lat, lon)| milkshed_shared::document::GpsFix {
                    lat,
                    lon,
                    accuracy_m: None,
                }),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
