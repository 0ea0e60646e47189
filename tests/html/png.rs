//! The HTML test's screenshots, decoded with the `png` crate (image-rs) into RGB pixels.

use std::io::Cursor;

/// A decoded image: RGB pixels, row by row.
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<[u8; 3]>,
}

impl Image {
    /// Pixels within `tolerance` of `colour` on every channel.
    pub fn count_near(&self, colour: [u8; 3], tolerance: u8) -> usize {
        self.rgb
            .iter()
            .filter(|p| (0..3).all(|i| p[i].abs_diff(colour[i]) <= tolerance))
            .count()
    }

    /// How many different colours the image has.
    pub fn distinct_colours(&self) -> usize {
        let mut all: Vec<[u8; 3]> = self.rgb.clone();
        all.sort_unstable();
        all.dedup();
        all.len()
    }
}

/// Decodes a PNG of any colour type and bit depth (palettes expanded, 16 bits cut to 8,
/// alpha dropped) into RGB pixels.
pub fn decode(png: &[u8]) -> Result<Image, String> {
    let mut decoder = png::Decoder::new(Cursor::new(png));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader
        .output_buffer_size()
        .ok_or("the image is too large")?;
    let mut buffer = vec![0; size];
    let info = reader.next_frame(&mut buffer).map_err(|e| e.to_string())?;
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("a palette left unexpanded".into()),
    };
    let (width, height) = (info.width as usize, info.height as usize);
    let mut rgb = Vec::with_capacity(width * height);
    for row in buffer[..info.line_size * height].chunks_exact(info.line_size) {
        for pixel in row[..width * channels].chunks_exact(channels) {
            rgb.push(match channels {
                1 | 2 => [pixel[0]; 3],
                _ => [pixel[0], pixel[1], pixel[2]],
            });
        }
    }
    Ok(Image { width, height, rgb })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes RGB or RGBA pixels with the same crate.
    fn encode(width: u32, height: u32, colour: png::ColorType, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(colour);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(data).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn decodes_rgb_and_rgba_pixels_in_order() {
        let rgb = encode(2, 1, png::ColorType::Rgb, &[1, 2, 3, 250, 251, 252]);
        let image = decode(&rgb).unwrap();
        assert_eq!((image.width, image.height), (2, 1));
        assert_eq!(image.rgb, vec![[1, 2, 3], [250, 251, 252]]);
        let rgba = encode(1, 2, png::ColorType::Rgba, &[9, 8, 7, 255, 0, 0, 0, 0]);
        let image = decode(&rgba).unwrap();
        assert_eq!(image.rgb, vec![[9, 8, 7], [0, 0, 0]]);
        assert_eq!(image.distinct_colours(), 2);
        assert_eq!(image.count_near([10, 8, 6], 1), 1);
    }

    #[test]
    fn refuses_what_is_not_a_png() {
        assert!(decode(b"GIF89a").is_err());
        let rgb = encode(4, 4, png::ColorType::Rgb, &[7; 48]);
        assert!(decode(&rgb[..rgb.len() / 2]).is_err());
    }
}
