//! The limits on photos, one set for the device that takes them and the server that keeps them:
//! nothing larger is ever decoded, so no photo (or a file dressed up as one) can take a
//! device's or the server's memory.

/// Largest input the device's pipeline accepts (a camera file), and largest upload.
pub const MAX_INPUT_BYTES: usize = 40 * 1024 * 1024;
/// Largest image decoded anywhere, in pixels (a 12 MP camera is far under it).
pub const MAX_PIXELS: u64 = 100_000_000;
/// Longest side of the photo the device stores and uploads. The server keeps only what the
/// device pipeline made, so it refuses anything with a longer side before decoding it.
pub const STORED_MAX_SIDE: u32 = 1600;
/// Longest side of a thumbnail.
pub const THUMB_SIDE: u32 = 320;

/// Bytes the decoder may allocate for an image of at most `pixels` (RGBA plus headroom).
pub fn max_alloc(pixels: u64) -> u64 {
    pixels.saturating_mul(4).saturating_add(64 * 1024 * 1024)
}

/// Why an image's announced size is refused before it is decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeRefusal {
    #[error("the image has no pixels")]
    Empty,
    #[error("{0} × {1} pixels is more than the {MAX_PIXELS} a photo may have")]
    TooManyPixels(u32, u32),
    #[error("{0} × {1} pixels: a stored photo's longest side is at most {STORED_MAX_SIDE}")]
    NotAStoredPhoto(u32, u32),
}

/// Checks a camera image's announced dimensions (the device's pipeline).
pub fn check_camera(w: u32, h: u32) -> Result<(), SizeRefusal> {
    if w == 0 || h == 0 {
        Err(SizeRefusal::Empty)
    } else if u64::from(w) * u64::from(h) > MAX_PIXELS {
        Err(SizeRefusal::TooManyPixels(w, h))
    } else {
        Ok(())
    }
}

/// Checks an uploaded photo's announced dimensions (the server): what the device stores.
pub fn check_stored(w: u32, h: u32) -> Result<(), SizeRefusal> {
    check_camera(w, h)?;
    if w.max(h) > STORED_MAX_SIDE {
        Err(SizeRefusal::NotAStoredPhoto(w, h))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bomb_is_refused_by_its_header() {
        assert_eq!(check_camera(4000, 3000), Ok(()));
        assert_eq!(
            check_camera(20_000, 20_000),
            Err(SizeRefusal::TooManyPixels(20_000, 20_000))
        );
        assert_eq!(check_camera(0, 10), Err(SizeRefusal::Empty));
        assert_eq!(check_stored(1600, 1200), Ok(()));
        assert!(check_stored(4000, 3000).is_err());
        assert_eq!(max_alloc(u64::MAX), u64::MAX);
    }
}
