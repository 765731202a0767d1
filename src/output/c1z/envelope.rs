//! The v1 envelope (baton-model.md §3.1–3.2): `C1ZF\0` then one zstd frame, with its content
//! size in the header, whose plaintext is the SQLite file.

use super::C1zError;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

pub const MAGIC_V1: &[u8; 5] = b"C1ZF\0";
/// The Pebble-based v3 format (SDK ≥ v0.10): recognised only to say we cannot append to it.
const MAGIC_V3: &[u8; 5] = b"C1Z3\0";

/// zstd workers: this is the last step of a sync, nothing else runs beside it.
const COMPRESS_THREADS: u32 = 2;

/// Compresses the database at `db` into `out` (magic + one frame). Returns the bytes written.
pub fn compress(db: &Path, out: &mut File, level: i32) -> Result<u64, C1zError> {
    let input = File::open(db).map_err(|e| C1zError::io("opening the database", e))?;
    let size = input
        .metadata()
        .map_err(|e| C1zError::io("reading the database size", e))?
        .len();
    let mut w = BufWriter::with_capacity(1 << 20, &mut *out);
    w.write_all(MAGIC_V1)
        .map_err(|e| C1zError::io("writing the header", e))?;
    let mut enc = zstd::Encoder::new(w, level).map_err(|e| C1zError::io("starting zstd", e))?;
    // The SDK's readers check the frame's content size against their cap before decoding.
    // Both cores: zstd's worker threads compress separate chunks of the one frame (the
    // output is still a single standard frame, which every reader decodes the same way).
    enc.include_contentsize(true)
        .and_then(|()| enc.set_pledged_src_size(Some(size)))
        .and_then(|()| enc.multithread(COMPRESS_THREADS))
        .map_err(|e| C1zError::io("configuring zstd", e))?;
    io::copy(&mut BufReader::with_capacity(1 << 20, input), &mut enc)
        .map_err(|e| C1zError::io("compressing the database", e))?;
    let mut w = enc
        .finish()
        .map_err(|e| C1zError::io("finishing the zstd frame", e))?;
    w.flush().map_err(|e| C1zError::io("writing the .c1z", e))?;
    drop(w);
    out.sync_all()
        .map_err(|e| C1zError::io("syncing the .c1z", e))?;
    out.metadata()
        .map(|m| m.len())
        .map_err(|e| C1zError::io("reading the .c1z size", e))
}

/// The v1 `.c1z` at `src`, read up to its zstd frame (the header checked).
pub fn open_frame(src: &Path) -> Result<BufReader<File>, C1zError> {
    let file = File::open(src).map_err(|e| C1zError::io("opening the existing .c1z", e))?;
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut magic = [0u8; 5];
    r.read_exact(&mut magic)
        .map_err(|e| C1zError::io("reading the existing .c1z header", e))?;
    if &magic != MAGIC_V1 {
        return Err(C1zError::NotV1 {
            path: src.to_owned(),
            found: if &magic == MAGIC_V3 {
                "the v3 (Pebble) format"
            } else {
                "no .c1z header"
            },
        });
    }
    Ok(r)
}

/// The variable that sets the largest database a `.c1z` may hold, in bytes.
pub const MAX_BYTES_ENV: &str = "OPENAI_ACCESS_C1Z_MAX_BYTES";
/// The default of [`MAX_BYTES_ENV`]: a `large` org's database is 1.1 GB.
const DEFAULT_MAX_BYTES: u64 = 16 << 30;
/// How many times a database may outgrow its frame: a real `large` .c1z is 22×; the most zstd
/// reaches on a database of zeros is about 30,000×, which is what a decompression bomb uses.
const MAX_RATIO: u64 = 1024;
/// Below this a database is allowed whatever the ratio: small files can be mostly free pages.
const ALWAYS_ALLOWED: u64 = 64 << 20;

/// The largest database a `.c1z` may declare: [`MAX_BYTES_ENV`], else 16 GiB.
pub fn max_bytes() -> Result<u64, C1zError> {
    match std::env::var(MAX_BYTES_ENV) {
        Err(_) => Ok(DEFAULT_MAX_BYTES),
        Ok(v) => v.trim().parse::<u64>().map_err(|_| C1zError::Damaged {
            why: format!("{MAX_BYTES_ENV}={v:?} is not a number of bytes"),
        }),
    }
}

/// The v1 `.c1z` at `src`, read up to its zstd frame, and the size its database declares,
/// checked before anything is allocated for it: a frame must say its size (the writer always
/// does, and the SDK's readers require it), and the size must be within [`max_bytes`] and a
/// plausible ratio of the file's.
pub fn open_checked(src: &Path) -> Result<(BufReader<File>, u64), C1zError> {
    let file_len = std::fs::metadata(src)
        .map_err(|e| C1zError::io("reading the .c1z size", e))?
        .len();
    let mut r = open_frame(src)?;
    let head = io::BufRead::fill_buf(&mut r).map_err(|e| C1zError::io("reading the .c1z", e))?;
    let declared = zstd::zstd_safe::get_frame_content_size(head)
        .ok()
        .flatten()
        .ok_or_else(|| C1zError::Damaged {
            why: "its zstd frame does not say how large its database is".to_owned(),
        })?;
    let limit = max_bytes()?;
    if declared > limit {
        return Err(C1zError::Damaged {
            why: format!(
                "its database declares {declared} bytes, more than the {limit} allowed ({MAX_BYTES_ENV} raises it)"
            ),
        });
    }
    if declared > ALWAYS_ALLOWED && declared / MAX_RATIO > file_len {
        return Err(C1zError::Damaged {
            why: format!(
                "its database declares {declared} bytes from a file of {file_len}: no database compresses {}-fold (a decompression bomb?)",
                declared / file_len.max(1)
            ),
        });
    }
    Ok((r, declared))
}

/// Decompresses the v1 `.c1z` at `src` into a database file at `db`; never more than the
/// size its frame declared (checked by [`open_checked`]).
pub fn decompress(src: &Path, db: &Path) -> Result<(), C1zError> {
    let (r, declared) = open_checked(src)?;
    let out = File::create(db).map_err(|e| C1zError::io("creating the work database", e))?;
    let mut w = Bounded {
        inner: BufWriter::with_capacity(1 << 20, out),
        left: declared,
    };
    zstd::stream::copy_decode(r, &mut w).map_err(|e| match e.kind() {
        io::ErrorKind::FileTooLarge => C1zError::Damaged {
            why: format!("its database is larger than the {declared} bytes its frame declares"),
        },
        _ => C1zError::io("decompressing the existing .c1z", e),
    })?;
    w.inner
        .flush()
        .map_err(|e| C1zError::io("writing the work database", e))
}

/// The header of the `.c1z` at `src` and the size its database declares (see
/// [`open_checked`]), without decoding it.
pub fn check_declared(src: &Path) -> Result<(), C1zError> {
    open_checked(src).map(drop)
}

/// Reads the whole `.c1z` at `src` without keeping it: its frame decodes to exactly the size
/// it declares (checked first, as [`open_checked`] does), and what it decodes to starts as a
/// SQLite file does.
pub fn check_readable(src: &Path) -> Result<(), C1zError> {
    let (r, declared) = open_checked(src)?;
    let mut sink = Checked {
        head: Vec::with_capacity(SQLITE_HEADER.len()),
        seen: 0,
        declared,
    };
    zstd::stream::copy_decode(r, &mut sink).map_err(|e| C1zError::Damaged {
        why: match e.kind() {
            io::ErrorKind::FileTooLarge => {
                format!("its database is larger than the {declared} bytes its frame declares")
            }
            _ => format!("its frame does not decode ({e})"),
        },
    })?;
    if sink.seen != declared {
        return Err(C1zError::Damaged {
            why: format!(
                "its database is {} bytes, not the {declared} its frame declares",
                sink.seen
            ),
        });
    }
    if sink.head.as_slice() != SQLITE_HEADER {
        return Err(C1zError::Damaged {
            why: "it does not hold a SQLite database".to_owned(),
        });
    }
    Ok(())
}

/// How every SQLite file starts.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Counts what a frame decodes to and keeps its first bytes.
struct Checked {
    head: Vec<u8>,
    seen: u64,
    declared: u64,
}

impl Write for Checked {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.seen += buf.len() as u64;
        if self.seen > self.declared {
            return Err(io::Error::from(io::ErrorKind::FileTooLarge));
        }
        let room = SQLITE_HEADER.len().saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..room.min(buf.len())]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that refuses to go past `left` bytes.
struct Bounded<W> {
    inner: W,
    left: u64,
}

impl<W: Write> Write for Bounded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len() as u64;
        if n > self.left {
            return Err(io::Error::from(io::ErrorKind::FileTooLarge));
        }
        self.left -= n;
        self.inner.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
