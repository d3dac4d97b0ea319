//! Photo pipeline tests on generated JPEGs: each EXIF orientation, EXIF stripped, sizes, and
//! corrupt and hostile inputs.

use super::*;
use image::{Rgb, RgbImage};

const RED: [u8; 3] = [220, 30, 30];
const GREEN: [u8; 3] = [30, 200, 30];
const BLUE: [u8; 3] = [30, 30, 220];
const WHITE: [u8; 3] = [240, 240, 240];

/// A 64 × 32 image in four colored quadrants: red, green / blue, white.
fn quadrants() -> RgbImage {
    RgbImage::from_fn(64, 32, |x, y| {
        Rgb(match (x < 32, y < 16) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

pub(crate) fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(img)
        .unwrap();
    out
}

/// Inserts an EXIF APP1 segment (little-endian TIFF) with the orientation and DateTime tags.
pub(crate) fn with_exif(jpeg: &[u8], orientation: u16, datetime: &str) -> Vec<u8> {
    let mut dt = datetime.as_bytes().to_vec();
    dt.push(0);
    let entries = 2u16;
    let data_offset = 8 + 2 + 12 * u32::from(entries) + 4;
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II\x2a\x00");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&entries.to_le_bytes());
    // Orientation, SHORT, 1
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    // DateTime, ASCII, 20 at data_offset
    tiff.extend_from_slice(&0x0132u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&(dt.len() as u32).to_le_bytes());
    tiff.extend_from_slice(&data_offset.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&dt);
    let mut app1 = vec![0xff, 0xe1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn color_at(jpeg_bytes: &[u8], x: u32, y: u32) -> [u8; 3] {
    image::load_from_memory(jpeg_bytes)
        .unwrap()
        .to_rgb8()
        .get_pixel(x, y)
        .0
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) < 40)
}

#[test]
fn each_exif_orientation_is_turned_upright() {
    // expected (width, height, top-left color) after applying orientation 1..=8
    let expected = [
        (64, 32, RED),
        (64, 32, GREEN),
        (64, 32, WHITE),
        (64, 32, BLUE),
        (32, 64, RED),
        (32, 64, BLUE),
        (32, 64, WHITE),
        (32, 64, GREEN),
    ];
    let base = jpeg(&quadrants());
    for (o, (w, h, tl)) in (1u16..=8).zip(expected) {
        let p = process_photo(&with_exif(&base, o, "2026:11:24 09:15:00")).unwrap();
        assert_eq!((p.width, p.height), (w, h), "orientation {o}");
        let got = color_at(&p.jpeg, 3, 3);
        assert!(
            near(got, tl),
            "orientation {o}: top-left {got:?}, expected {tl:?}"
        );
        assert_eq!(
            p.taken_at.map(|t| t.to_string()).as_deref(),
            Some("2026-11-24 09:15:00")
        );
    }
}

#[test]
fn stored_copy_has_no_exif_and_is_addressed_by_its_hash() {
    let input = with_exif(&jpeg(&quadrants()), 6, "2026:11:24 09:15:00");
    let p = process_photo(&input).unwrap();
    assert!(!p.jpeg.windows(6).any(|w| w == b"Exif\0\0"));
    assert_eq!(p.hash, sha256_hex(&p.jpeg));
    // the same photo twice is the same blob
    assert_eq!(process_photo(&input).unwrap().hash, p.hash);
}

#[test]
fn large_photos_are_shrunk_and_thumbnailed() {
    let img = RgbImage::from_fn(3000, 2000, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let p = process_photo(&jpeg(&img)).unwrap();
    assert_eq!((p.width, p.height), (1600, 1067));
    let thumb = image::load_from_memory(&p.thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 213));
}

#[test]
fn png_is_accepted() {
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(quadrants())
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    let p = process_photo(&png).unwrap();
    assert_eq!((p.width, p.height), (64, 32));
}

#[test]
fn hostile_inputs_are_refused_with_a_clear_error() {
    let good = jpeg(&quadrants());
    // truncated
    assert!(matches!(
        process_photo(&good[..good.len() / 3]),
        Err(PhotoError::Corrupt(_))
    ));
    // not an image
    assert!(matches!(
        process_photo(b"%PDF-1.7 not a photo at all"),
        Err(PhotoError::NotAnImage)
    ));
    assert!(matches!(process_photo(&[]), Err(PhotoError::NotAnImage)));
    // HEIC
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    assert!(matches!(process_photo(&heic), Err(PhotoError::Heic)));
    // over 40 MB
    let mut big = good.clone();
    big.resize(MAX_INPUT_BYTES + 1, 0);
    assert!(matches!(process_photo(&big), Err(PhotoError::TooLarge(_))));
    // a header claiming 20,000 × 20,000 pixels (400 megapixels): refused before decoding
    let mut bomb = good.clone();
    let sof = bomb.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    bomb[sof + 5..sof + 7].copy_from_slice(&20_000u16.to_be_bytes());
    bomb[sof + 7..sof + 9].copy_from_slice(&20_000u16.to_be_bytes());
    assert!(matches!(
        process_photo(&bomb),
        Err(PhotoError::TooManyPixels(20_000, 20_000))
    ));
    // garbage after a JPEG signature
    let mut junk = vec![0xff, 0xd8, 0xff, 0xe0];
    junk.extend((0..5000u32).map(|i| (i * 7919 % 251) as u8));
    assert!(process_photo(&junk).is_err());
}

#[test]
fn the_reference_keeps_the_cameras_time_not_the_time_of_attaching() {
    let input = with_exif(&jpeg(&quadrants()), 1, "2026:11:24 09:15:00");
    let p = process_photo(&input).unwrap();
    let attached_at = chrono::DateTime::parse_from_rfc3339("2026-12-01T15:00:00+00:00").unwrap();
    let r = p.reference(Some("3".into()), "floor", &attached_at);
    let taken = r.taken_at.unwrap();
    assert_eq!(
        taken.naive_local().to_string(),
        "2026-11-24 09:15:00",
        "the EXIF time, in the device's local time"
    );
    assert_eq!(r.item.as_deref(), Some("3"));
    assert_eq!(r.caption, "floor");
    // a photo with no time of its own is taken when it is attached
    let plain = process_photo(&jpeg(&quadrants())).unwrap();
    assert_eq!(
        plain.reference(None, "", &attached_at).taken_at,
        Some(attached_at)
    );
}

#[test]
fn off_the_ui_thread_the_same_photo_comes_back() {
    let input = jpeg(&quadrants());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let p = rt
        .block_on(process_photo_off_thread(input.clone()))
        .unwrap();
    assert_eq!(p, process_photo(&input).unwrap());
    assert!(rt
        .block_on(process_photo_off_thread(b"not a photo".to_vec()))
        .is_err());
}
