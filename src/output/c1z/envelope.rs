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

/// Decompresses the v1 `.c1z` at `src` into a database file at `db`.
pub fn decompress(src: &Path, db: &Path) -> Result<(), C1zError> {
    let r = open_frame(src)?;
    let out = File::create(db).map_err(|e| C1zError::io("creating the work database", e))?;
    let mut w = BufWriter::with_capacity(1 << 20, out);
    zstd::stream::copy_decode(r, &mut w)
        .map_err(|e| C1zError::io("decompressing the existing .c1z", e))?;
    w.flush()
        .map_err(|e| C1zError::io("writing the work database", e))
}
