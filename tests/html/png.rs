//! A minimal PNG reader for the HTML test's screenshots: 8-bit RGB or RGBA, not interlaced
//! (what Chromium writes), with its own inflate, so the test needs no image crate.

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

pub fn decode(png: &[u8]) -> Result<Image, String> {
    let body = png
        .strip_prefix(b"\x89PNG\r\n\x1a\n")
        .ok_or("not a PNG signature")?;
    let (mut at, mut idat) = (0, Vec::new());
    let (mut width, mut height, mut colour_type) = (0, 0, 0);
    while at + 8 <= body.len() {
        let len = u32::from_be_bytes(body[at..at + 4].try_into().unwrap()) as usize;
        let kind = &body[at + 4..at + 8];
        let data = body.get(at + 8..at + 8 + len).ok_or("truncated chunk")?;
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                if data[8] != 8 || data[12] != 0 {
                    return Err("only 8-bit, non-interlaced images".into());
                }
                colour_type = data[9];
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let channels = match colour_type {
        2 => 3,
        6 => 4,
        other => return Err(format!("colour type {other} not supported")),
    };
    // zlib: a two-byte header, deflate data, a checksum.
    let raw = inflate(idat.get(2..).ok_or("empty image data")?)?;
    let stride = width * channels;
    if raw.len() < height * (stride + 1) {
        return Err("image data too short".into());
    }
    let mut previous = vec![0u8; stride];
    let mut rgb = Vec::with_capacity(width * height);
    for row in 0..height {
        let line = &raw[row * (stride + 1)..(row + 1) * (stride + 1)];
        let mut current = line[1..].to_vec();
        for i in 0..stride {
            let a = if i >= channels {
                current[i - channels]
            } else {
                0
            };
            let b = previous[i];
            let c = if i >= channels {
                previous[i - channels]
            } else {
                0
            };
            let add = match line[0] {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((a as u16 + b as u16) / 2) as u8,
                4 => paeth(a, b, c),
                other => return Err(format!("filter {other}")),
            };
            current[i] = current[i].wrapping_add(add);
        }
        for pixel in current.chunks(channels) {
            rgb.push([pixel[0], pixel[1], pixel[2]]);
        }
        previous = current;
    }
    Ok(Image { width, height, rgb })
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = a as i16 + b as i16 - c as i16;
    let (pa, pb, pc) = (
        (p - a as i16).abs(),
        (p - b as i16).abs(),
        (p - c as i16).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

struct Bits<'a> {
    data: &'a [u8],
    at: usize,
    buffer: u32,
    count: u32,
}

impl Bits<'_> {
    fn bits(&mut self, n: u32) -> Result<u32, String> {
        let mut value = 0;
        for i in 0..n {
            if self.count == 0 {
                self.buffer = *self.data.get(self.at).ok_or("deflate data ends early")? as u32;
                self.at += 1;
                self.count = 8;
            }
            value |= (self.buffer & 1) << i;
            self.buffer >>= 1;
            self.count -= 1;
        }
        Ok(value)
    }
}

/// Canonical Huffman code: codes per length and symbols in code order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Self {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[l as usize] += 1;
        }
        counts[0] = 0;
        let mut offsets = [0u16; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (symbol, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[offsets[l as usize] as usize] = symbol as u16;
                offsets[l as usize] += 1;
            }
        }
        Self { counts, symbols }
    }

    fn decode(&self, bits: &mut Bits) -> Result<u16, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.bits(1)? as i32;
            let count = self.counts[len] as i32;
            if code - count < first {
                return Ok(self.symbols[(index + code - first) as usize]);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("bad Huffman code".into())
    }
}

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Raw deflate (RFC 1951).
fn inflate(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut bits = Bits {
        data,
        at: 0,
        buffer: 0,
        count: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = bits.bits(1)? == 1;
        match bits.bits(2)? {
            0 => {
                bits.count = 0;
                let at = bits.at;
                let len = u16::from_le_bytes([data[at], data[at + 1]]) as usize;
                out.extend_from_slice(data.get(at + 4..at + 4 + len).ok_or("stored block")?);
                bits.at = at + 4 + len;
            }
            1 => {
                let mut lengths = [0u8; 288];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..].fill(8);
                let literals = Huffman::new(&lengths);
                let distances = Huffman::new(&[5u8; 30]);
                codes(&mut bits, &literals, &distances, &mut out)?;
            }
            2 => {
                let nlen = bits.bits(5)? as usize + 257;
                let ndist = bits.bits(5)? as usize + 1;
                let ncode = bits.bits(4)? as usize + 4;
                const ORDER: [usize; 19] = [
                    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                ];
                let mut code_lengths = [0u8; 19];
                for &i in &ORDER[..ncode] {
                    code_lengths[i] = bits.bits(3)? as u8;
                }
                let lencode = Huffman::new(&code_lengths);
                let mut lengths = vec![0u8; nlen + ndist];
                let mut i = 0;
                while i < nlen + ndist {
                    let symbol = lencode.decode(&mut bits)?;
                    let (value, repeat) = match symbol {
                        0..=15 => (symbol as u8, 1),
                        16 => (
                            *lengths[..i].last().ok_or("repeat with no length")?,
                            3 + bits.bits(2)? as usize,
                        ),
                        17 => (0, 3 + bits.bits(3)? as usize),
                        _ => (0, 11 + bits.bits(7)? as usize),
                    };
                    for _ in 0..repeat {
                        *lengths.get_mut(i).ok_or("too many lengths")? = value;
                        i += 1;
                    }
                }
                let literals = Huffman::new(&lengths[..nlen]);
                let distances = Huffman::new(&lengths[nlen..]);
                codes(&mut bits, &literals, &distances, &mut out)?;
            }
            _ => return Err("bad block type".into()),
        }
        if last {
            return Ok(out);
        }
    }
}

fn codes(
    bits: &mut Bits,
    literals: &Huffman,
    distances: &Huffman,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    loop {
        let symbol = literals.decode(bits)? as usize;
        if symbol < 256 {
            out.push(symbol as u8);
            continue;
        }
        if symbol == 256 {
            return Ok(());
        }
        let i = symbol - 257;
        let len = LENGTH_BASE[i] as usize + bits.bits(LENGTH_EXTRA[i] as u32)? as usize;
        let d = distances.decode(bits)? as usize;
        let distance = DISTANCE_BASE[d] as usize + bits.bits(DISTANCE_EXTRA[d] as u32)? as usize;
        let start = out.len().checked_sub(distance).ok_or("distance too far")?;
        for k in 0..len {
            out.push(out[start + k]);
        }
    }
}
