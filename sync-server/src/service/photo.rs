//! Decoding photos on the server within the limits the device's pipeline keeps
//! (`shared::photo`): the header is read first and an image larger than a stored photo is
//! refused before a pixel is decoded. Callers run this outside any database connection.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use milkshed_shared::photo;

/// Why uploaded bytes are not a photo the server keeps.
#[derive(Debug, thiserror::Error)]
pub enum PhotoRefusal {
    #[error("the bytes are not a JPEG or PNG photo")]
    NotAnImage,
    #[error(transparent)]
    Size(#[from] photo::SizeRefusal),
    #[error("the photo does not decode: {0}")]
    Corrupt(String),
}

/// Decodes a stored (device-processed) photo, refusing bombs by their header.
pub fn decode_stored(bytes: &[u8]) -> Result<DynamicImage, PhotoRefusal> {
    if bytes.len() > photo::MAX_INPUT_BYTES {
        return Err(PhotoRefusal::NotAnImage);
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png)) => f,
        _ => return Err(PhotoRefusal::NotAnImage),
    };
    // the header alone first: a bomb is refused by what it claims, before any decoding
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| PhotoRefusal::Corrupt(e.to_string()))?;
    photo::check_stored(w, h)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(photo::STORED_MAX_SIDE);
    limits.max_image_height = Some(photo::STORED_MAX_SIDE);
    let side = u64::from(photo::STORED_MAX_SIDE);
    limits.max_alloc = Some(photo::max_alloc(side * side));
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| PhotoRefusal::Corrupt(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    photo::check_stored(w, h)?;
    DynamicImage::from_decoder(decoder).map_err(|e| PhotoRefusal::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::GrayImage::new(w, h);
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_photo_decodes_and_a_large_one_is_refused_unread() {
        assert_eq!(decode_stored(&png(64, 48)).unwrap().width(), 64);
        assert!(decode_stored(&png(1700, 10)).is_err());
        assert!(matches!(
            decode_stored(b"not an image at all"),
            Err(PhotoRefusal::NotAnImage)
        ));
    }
}
