//! A parallel reader and validator for `ratings.csv`, the one big MovieLens file (877 MB,
//! 32 million lines in ML-32M).
//!
//! Its four fields are numbers and never quoted, so a general CSV parser's work (quoting,
//! type inference, building a frame) is wasted on it. The file is split into fixed-size byte
//! ranges; a range owns the lines that *start* inside it, so every line is parsed exactly once
//! whatever the thread count. Pass 1 counts each range's lines; pass 2 reads each range again,
//! parses it straight into its slot of the final columns and validates those rows while they
//! are still in cache (half-star ratings, movies in the catalogue, `(user, movie)` order).
//! Blank lines leave gaps in their slot, closed afterwards.
//!
//! The first problem in file order is reported (a malformed line or a bad row; a repeated
//! pair in an unsorted file after that), naming the file, the 1-based line (header = line 1)
//! and the column, as the polars path does for the other files.

use crate::ids::IdIndex;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;

use rayon::prelude::*;
use slate_table::ColumnSlice;

use crate::IngestError;
use crate::raw::RawType;
use crate::schema::RAW_RATINGS;

/// The column types of `ratings.csv`, in header order.
const TYPES: [RawType; 4] = [RawType::U32, RawType::U32, RawType::F64, RawType::I64];

/// Bytes per parallel work unit: large enough that per-range overhead vanishes, small enough
/// to balance two to sixty-four threads on 877 MB.
pub(crate) const RANGE_BYTES: u64 = 4 << 20;

/// How far to read ahead when looking for the end of a line at a range boundary.
const PROBE_BYTES: usize = 256;

/// The four columns of `ratings.csv`, in file order.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct RatingsColumns {
    pub user_id: Vec<u32>,
    pub movie_id: Vec<u32>,
    pub rating: Vec<f64>,
    pub timestamp: Vec<i64>,
}

impl RatingsColumns {
    /// `rows` zero rows (the allocation is zeroed lazily by the OS, page by page).
    fn zeroed(rows: usize) -> Self {
        Self {
            user_id: vec![0; rows],
            movie_id: vec![0; rows],
            rating: vec![0.0; rows],
            timestamp: vec![0; rows],
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.user_id.len()
    }

    /// The first `rows` rows as the ratings table's columns, in its order.
    pub(crate) fn slices(&self, rows: usize) -> Vec<ColumnSlice<'_>> {
        vec![
            ColumnSlice::U32(&self.user_id[..rows]),
            ColumnSlice::U32(&self.movie_id[..rows]),
            ColumnSlice::F64(&self.rating[..rows]),
            ColumnSlice::I64(&self.timestamp[..rows]),
        ]
    }

    fn key(&self, row: usize) -> u64 {
        pair_key(self.user_id[row], self.movie_id[row])
    }

    /// Consecutive, disjoint slots of the given sizes, in order.
    fn slots(&mut self, sizes: &[usize]) -> Vec<Slot<'_>> {
        let mut slots = Vec::with_capacity(sizes.len());
        let (mut user_id, mut movie_id) = (&mut self.user_id[..], &mut self.movie_id[..]);
        let (mut rating, mut timestamp) = (&mut self.rating[..], &mut self.timestamp[..]);
        for &size in sizes {
            let (u, user_rest) = std::mem::take(&mut user_id).split_at_mut(size);
            let (m, movie_rest) = std::mem::take(&mut movie_id).split_at_mut(size);
            let (r, rating_rest) = std::mem::take(&mut rating).split_at_mut(size);
            let (t, timestamp_rest) = std::mem::take(&mut timestamp).split_at_mut(size);
            (user_id, movie_id, rating, timestamp) =
                (user_rest, movie_rest, rating_rest, timestamp_rest);
            slots.push(Slot {
                user_id: u,
                movie_id: m,
                rating: r,
                timestamp: t,
                len: 0,
            });
        }
        slots
    }

    /// Closes the gaps between ranges that held fewer rows than their slot (blank lines), so
    /// that the rows are contiguous and in order.
    fn compact(&mut self, slot_sizes: &[usize], rows: &[usize]) {
        let mut to = 0;
        let mut from = 0;
        for (&size, &filled) in slot_sizes.iter().zip(rows) {
            if from != to {
                self.user_id.copy_within(from..from + filled, to);
                self.movie_id.copy_within(from..from + filled, to);
                self.rating.copy_within(from..from + filled, to);
                self.timestamp.copy_within(from..from + filled, to);
            }
            to += filled;
            from += size;
        }
        self.user_id.truncate(to);
        self.movie_id.truncate(to);
        self.rating.truncate(to);
        self.timestamp.truncate(to);
    }
}

/// One range's share of the output columns, filled in order.
pub(crate) struct Slot<'a> {
    user_id: &'a mut [u32],
    movie_id: &'a mut [u32],
    rating: &'a mut [f64],
    timestamp: &'a mut [i64],
    len: usize,
}

impl<'a> Slot<'a> {
    /// An empty slot over these columns (of one length), filled from the front.
    pub(crate) fn new(
        user_id: &'a mut [u32],
        movie_id: &'a mut [u32],
        rating: &'a mut [f64],
        timestamp: &'a mut [i64],
    ) -> Self {
        Slot {
            user_id,
            movie_id,
            rating,
            timestamp,
            len: 0,
        }
    }

    /// Appends a row; `false` if the slot is full, which means the file grew after its lines
    /// were counted.
    #[inline]
    fn push(&mut self, user: u32, movie: u32, rating: f64, timestamp: i64) -> bool {
        let row = self.len;
        if row == self.user_id.len() {
            return false;
        }
        self.user_id[row] = user;
        self.movie_id[row] = movie;
        self.rating[row] = rating;
        self.timestamp[row] = timestamp;
        self.len += 1;
        true
    }

    /// Row `row`'s `(user, movie)` as one number (see [`pair_key`]).
    pub(crate) fn key(&self, row: usize) -> u64 {
        pair_key(self.user_id[row], self.movie_id[row])
    }
}

/// `(user, movie)` as one number that sorts like the pair.
pub(crate) fn pair_key(user: u32, movie: u32) -> u64 {
    (u64::from(user) << 32) | u64::from(movie)
}

/// What is wrong with one line, before its line number is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LineError {
    /// More lines than counted a moment before: the file is being written to.
    Changed,
    FieldCount(usize),
    Missing(usize),
    Bad {
        column: usize,
        value: Vec<u8>,
    },
}

/// What is wrong with one parsed row, before its line number is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RowError {
    Rating(f64),
    UnknownMovie(u32),
}

/// One parsed and checked range.
#[derive(Debug)]
pub(crate) struct Checked {
    /// Rows parsed into the range's slot.
    pub rows: usize,
    /// Lines the range spans (blank ones included).
    pub lines: usize,
    /// The first bad line (index among the range's lines), if any.
    pub error: Option<(usize, LineError)>,
    /// The first row (index within the range) that breaks a per-row rule.
    pub row_error: Option<(usize, RowError)>,
    /// Whether the range's `(user, movie)` keys strictly increase.
    pub sorted: bool,
    /// The first and last key, to check order across ranges.
    pub keys: Option<(u64, u64)>,
}

/// Reads and validates `path`, whose header line (`header_bytes` long) has been checked;
/// `known` holds the catalogue's movie ids.
pub(crate) fn read(
    path: &Path,
    header_bytes: u64,
    known: &IdIndex,
) -> Result<RatingsColumns, IngestError> {
    read_in_ranges(path, header_bytes, known, RANGE_BYTES)
}

/// [`read`] with ranges of `range_bytes` (small in tests, to put many boundaries in a small
/// file).
fn read_in_ranges(
    path: &Path,
    header_bytes: u64,
    known: &IdIndex,
    range_bytes: u64,
) -> Result<RatingsColumns, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (file, spans) = open_spans(path, header_bytes, range_bytes)?;
    let sizes: Vec<usize> = spans.iter().map(|(_, lines)| *lines).collect();
    let mut columns = RatingsColumns::zeroed(sizes.iter().sum());
    // Pass 2: parse and check each range in its slot.
    let checked: Vec<Checked> = spans
        .into_par_iter()
        .zip(columns.slots(&sizes))
        .map_init(Vec::new, |buffer: &mut Vec<u8>, ((span, _), mut slot)| {
            let bytes = read_span(&file, span, buffer)?;
            let (lines, error) = parse_lines(bytes, &mut slot);
            Ok(check(&slot, lines, error, known))
        })
        .collect::<std::io::Result<_>>()
        .map_err(io)?;
    let mut lines_before = 1; // the header
    let mut rows_before = 0;
    for range in &checked {
        // Rows precede the line that stopped their range, so a row error comes first.
        if let Some((row, error)) = range.row_error {
            return Err(row_error(path, rows_before + row, error));
        }
        if let Some((index, error)) = &range.error {
            return Err(located(path, lines_before + index + 1, error.clone()));
        }
        lines_before += range.lines;
        rows_before += range.rows;
    }
    let sorted = checked.iter().all(|range| range.sorted)
        && checked
            .windows(2)
            .all(|pair| match (pair[0].keys, pair[1].keys) {
                (Some((_, last)), Some((first, _))) => last < first,
                _ => true,
            });
    if rows_before < columns.len() {
        let rows: Vec<usize> = checked.iter().map(|range| range.rows).collect();
        columns.compact(&sizes, &rows);
    }
    if !sorted {
        check_unique(path, &columns)?;
    }
    Ok(columns)
}

/// A span of the file (from a line start to a line start) and its number of lines.
pub(crate) type Span = (Range<u64>, usize);

/// Opens `path` and runs [`line_spans`] over its bytes after the header (`header_bytes` long).
pub(crate) fn open_spans(
    path: &Path,
    header_bytes: u64,
    range_bytes: u64,
) -> Result<(File, Vec<Span>), IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let end = file.metadata().map_err(io)?.len();
    let data = header_bytes.min(end)..end;
    let spans = line_spans(&file, &data, range_bytes).map_err(io)?;
    Ok((file, spans))
}

/// Pass 1 of the reader: `data` (the file's bytes after its header) cut into ranges of about
/// `range_bytes` at line starts, each with how many lines it has (an upper bound on its rows,
/// so that the ranges can be parsed straight into their places in the final columns).
pub(crate) fn line_spans(
    file: &File,
    data: &Range<u64>,
    range_bytes: u64,
) -> std::io::Result<Vec<Span>> {
    let ranges = (data.end - data.start).div_ceil(range_bytes);
    (0..ranges)
        .into_par_iter()
        // One read buffer per thread, reused: fresh buffers would cost a page fault per 4 KiB.
        .map_init(Vec::new, |buffer: &mut Vec<u8>, k| {
            let nominal_start = data.start + k * range_bytes;
            let nominal_end = (nominal_start + range_bytes).min(data.end);
            let start = line_start_at_or_after(file, nominal_start, data)?;
            let stop = line_start_at_or_after(file, nominal_end, data)?;
            let bytes = read_span(file, start..stop, buffer)?;
            Ok((start..stop, lines_in(bytes)))
        })
        .collect()
}

/// Lines in `bytes`: its newlines, and one more if the last line has none.
pub(crate) fn lines_in(bytes: &[u8]) -> usize {
    let unterminated = bytes.last().is_some_and(|&b| b != b'\n');
    count_newlines(bytes) + usize::from(unterminated)
}

/// Newlines in `bytes`, counted in blocks of 255 with a `u8` sum per block, which the
/// compiler turns into SIMD byte compares (a plain `filter().count()` runs a byte at a time).
pub(crate) fn count_newlines(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|block| {
            // At most 255 per block: the wrapping add never wraps, and unlike `+` it needs no
            // overflow check (debug assertions are on), which would stop the vectorising.
            let in_block = block
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n')));
            usize::from(in_block)
        })
        .sum()
}

/// Reads `span` of `file` into the front of `buffer` (grown, never shrunk or re-zeroed).
pub(crate) fn read_span<'a>(
    file: &File,
    span: Range<u64>,
    buffer: &'a mut Vec<u8>,
) -> std::io::Result<&'a [u8]> {
    let len = span.end.saturating_sub(span.start) as usize;
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
    let bytes = &mut buffer[..len];
    file.read_exact_at(bytes, span.start)?;
    Ok(bytes)
}

/// Half stars from 0.5 to 5.0. (A cast, not `fract`, which is a libm call on baseline x86-64.)
fn is_half_star(value: f64) -> bool {
    (0.5..=5.0).contains(&value) && f64::from((value * 2.0) as u8) == value * 2.0
}

/// Checks a parsed range (its `slot`, `lines` and first bad line `error`, from [`parse_lines`])
/// against the per-row rules (half stars, movies of the catalogue `known`) and the order of its
/// keys.
pub(crate) fn check(
    slot: &Slot<'_>,
    lines: usize,
    error: Option<(usize, LineError)>,
    known: &IdIndex,
) -> Checked {
    let rows = slot.len;
    let row_error = (0..rows).find_map(|row| {
        let (rating, movie) = (slot.rating[row], slot.movie_id[row]);
        if !is_half_star(rating) {
            Some((row, RowError::Rating(rating)))
        } else if !known.contains(movie) {
            Some((row, RowError::UnknownMovie(movie)))
        } else {
            None
        }
    });
    Checked {
        rows,
        lines,
        error,
        row_error,
        sorted: (1..rows).all(|row| slot.key(row - 1) < slot.key(row)),
        keys: rows
            .checked_sub(1)
            .map(|last| (slot.key(0), slot.key(last))),
    }
}

/// The general uniqueness check, for files not sorted by `(user, movie)`: sort the keys.
fn check_unique(path: &Path, columns: &RatingsColumns) -> Result<(), IngestError> {
    let mut keys: Vec<(u64, usize)> = (0..columns.len())
        .into_par_iter()
        .map(|row| (columns.key(row), row))
        .collect();
    keys.par_sort_unstable();
    let Some(pair) = keys.windows(2).find(|pair| pair[0].0 == pair[1].0) else {
        return Ok(());
    };
    let ((key, first), (_, repeat)) = (pair[0], pair[1]);
    let lines = lines_of_rows(path, &[repeat, first])?;
    Err(IngestError::DuplicateRating {
        path: path.to_path_buf(),
        line: lines[0],
        first_line: lines[1],
        user_id: (key >> 32) as u32,
        movie_id: key as u32,
    })
}

fn row_error(path: &Path, row: usize, error: RowError) -> IngestError {
    let line = match line_of_row(path, row) {
        Ok(line) => line,
        Err(error) => return error,
    };
    match error {
        RowError::Rating(value) => IngestError::BadRating {
            path: path.to_path_buf(),
            line,
            value,
        },
        RowError::UnknownMovie(movie_id) => IngestError::UnknownMovie {
            path: path.to_path_buf(),
            line,
            movie_id,
        },
    }
}

/// The offset of the first line that starts at or after `at` (a line starts at `data.start` or
/// right after a newline); `data.end` if none does.
fn line_start_at_or_after(file: &File, at: u64, data: &Range<u64>) -> std::io::Result<u64> {
    if at <= data.start {
        return Ok(data.start);
    }
    let mut from = at - 1; // a newline here means a line starts exactly at `at`
    let mut probe = [0u8; PROBE_BYTES];
    while from < data.end {
        let len = (PROBE_BYTES as u64).min(data.end - from) as usize;
        file.read_exact_at(&mut probe[..len], from)?;
        if let Some(newline) = probe[..len].iter().position(|&b| b == b'\n') {
            return Ok(from + newline as u64 + 1);
        }
        from += len as u64;
    }
    Ok(data.end)
}

/// Parses whole lines (the last one may lack its newline). Blank lines are skipped, as the
/// CSV reader does for the other files.
///
/// Each line first goes through [`fast_line`], which reads the shape every MovieLens line has
/// (`digits,digits,d.d,digits\n`) in one pass; any other line (a sign, an exponent, CRLF, a
/// blank line, an error) is re-read by the general [`parse_line`], which also names what is
/// wrong.
pub(crate) fn parse_lines(
    bytes: &[u8],
    slot: &mut Slot<'_>,
) -> (usize, Option<(usize, LineError)>) {
    let mut lines = 0;
    let mut pos = 0;
    while pos < bytes.len() {
        match fast_line(bytes, pos, slot) {
            Some(Some(next)) => {
                pos = next;
                lines += 1;
                continue;
            }
            Some(None) => return (lines, Some((lines, LineError::Changed))),
            None => {}
        }
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |offset| pos + offset);
        let line = &bytes[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.is_empty()
            && let Err(error) = parse_line(line, slot)
        {
            return (lines, Some((lines, error)));
        }
        pos = end + 1;
        lines += 1;
    }
    (lines, None)
}

/// Reads one common-shape line starting at `pos` and returns the position after its newline
/// (`Some(None)` if the slot is full), or `None` (having pushed nothing) if the line is not
/// of that shape.
#[inline]
fn fast_line(bytes: &[u8], pos: usize, slot: &mut Slot<'_>) -> Option<Option<usize>> {
    let (user, pos) = fast_digits(bytes, pos, b',', 10)?;
    let (movie, pos) = fast_digits(bytes, pos, b',', 10)?;
    let field_len = match bytes.get(pos..pos + 4)? {
        [_, b',', ..] => 1,
        [_, _, _, b','] => 3,
        _ => return None,
    };
    let rating = short_decimal(&bytes[pos..pos + field_len])?;
    let pos = pos + field_len + 1;
    let (timestamp, pos) = fast_digits(bytes, pos, b'\n', 18)?;
    let (user, movie) = (u32::try_from(user).ok()?, u32::try_from(movie).ok()?);
    // At most 18 digits: the timestamp fits an i64.
    Some(
        slot.push(user, movie, rating, timestamp as i64)
            .then_some(pos),
    )
}

/// 1 to `max_digits` (at most 18) ASCII digits followed by `end` (or, for the newline, the
/// end of the bytes): the value and the position after the terminator.
///
/// Reads eight bytes at a time as one little-endian word (SWAR, as in simdjson's
/// `parse_eight_digits`): the number of leading digits comes from one comparison of all
/// eight bytes, their value from three multiplications. Near the end of the bytes it falls
/// back to [`digits_bytewise`], which defines the result.
#[inline(always)]
fn fast_digits(bytes: &[u8], pos: usize, end: u8, max_digits: usize) -> Option<(u64, usize)> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const POWERS: [u64; 9] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
    ];
    let mut value = 0u64;
    let mut at = pos;
    loop {
        let Some(word) = bytes
            .get(at..at + 8)
            .and_then(|chunk| <[u8; 8]>::try_from(chunk).ok())
        else {
            return digits_bytewise(bytes, pos, end, max_digits);
        };
        // Byte i minus '0' is below 10 exactly for digits. A non-digit byte may borrow from
        // or carry into the bytes after it, never into the digits before it.
        let offsets = u64::from_le_bytes(word).wrapping_sub(ZEROS);
        let non_digits =
            (offsets.wrapping_add(0x7676_7676_7676_7676) | offsets) & 0x8080_8080_8080_8080;
        let digits = (non_digits.trailing_zeros() / 8) as usize;
        if at - pos + digits > max_digits {
            return None;
        }
        if digits > 0 {
            // At most 18 digits in all (checked above): no overflow.
            value =
                value.wrapping_mul(POWERS[digits]) + eight_digits(offsets << (8 * (8 - digits)));
            at += digits;
        }
        if digits < 8 {
            return (at > pos && bytes[at] == end).then_some((value, at + 1));
        }
    }
}

/// The value of eight digit offsets (0..=9 each), most significant in the lowest byte.
#[inline]
fn eight_digits(offsets: u64) -> u64 {
    let pairs = (offsets.wrapping_mul(10 * 256 + 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100 * 65_536 + 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    quads.wrapping_mul(10_000 * (1 << 32) + 1) >> 32
}

/// [`fast_digits`] a byte at a time.
fn digits_bytewise(
    bytes: &[u8],
    mut pos: usize,
    end: u8,
    max_digits: usize,
) -> Option<(u64, usize)> {
    let start = pos;
    let mut value = 0u64;
    while let Some(&b) = bytes.get(pos) {
        if b.is_ascii_digit() {
            value = value * 10 + u64::from(b - b'0');
            pos += 1;
            if pos - start > max_digits {
                return None;
            }
        } else if b == end && pos > start {
            return Some((value, pos + 1));
        } else {
            return None;
        }
    }
    (end == b'\n' && pos > start).then_some((value, pos))
}

fn parse_line(line: &[u8], slot: &mut Slot<'_>) -> Result<(), LineError> {
    let mut fields = line.split(|&b| b == b',');
    let mut next = |column: usize| match fields.next() {
        Some([]) => Err(LineError::Missing(column)),
        Some(field) => Ok(field),
        None => Err(LineError::FieldCount(line.split(|&b| b == b',').count())),
    };
    let bad = |column: usize, field: &[u8]| LineError::Bad {
        column,
        value: field.to_vec(),
    };
    let user = next(0)?;
    let movie = next(1)?;
    let rating = next(2)?;
    let timestamp = next(3)?;
    if fields.next().is_some() {
        return Err(LineError::FieldCount(line.split(|&b| b == b',').count()));
    }
    let user = parse_u32(user).ok_or_else(|| bad(0, user))?;
    let movie = parse_u32(movie).ok_or_else(|| bad(1, movie))?;
    let rating = parse_rating(rating).ok_or_else(|| bad(2, rating))?;
    let timestamp = parse_i64(timestamp).ok_or_else(|| bad(3, timestamp))?;
    if slot.push(user, movie, rating, timestamp) {
        Ok(())
    } else {
        Err(LineError::Changed)
    }
}

/// The slow path's parsing is the standard library's, so `+7` or `1e3` mean what they always
/// do.
fn parse_std<T: std::str::FromStr>(field: &[u8]) -> Option<T> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

fn parse_u32(field: &[u8]) -> Option<u32> {
    parse_std(field)
}

fn parse_i64(field: &[u8]) -> Option<i64> {
    parse_std(field)
}

fn parse_rating(field: &[u8]) -> Option<f64> {
    short_decimal(field).or_else(|| parse_std(field))
}

/// `d` or `d.d` exactly (every MovieLens rating); the quotient of two small integers is the
/// correctly rounded double, the same one `str::parse` gives.
fn short_decimal(field: &[u8]) -> Option<f64> {
    match *field {
        [whole] if whole.is_ascii_digit() => Some(f64::from(whole - b'0')),
        [whole, b'.', tenth] if whole.is_ascii_digit() && tenth.is_ascii_digit() => {
            Some(f64::from((whole - b'0') * 10 + (tenth - b'0')) / 10.0)
        }
        _ => None,
    }
}

fn located(path: &Path, line: usize, error: LineError) -> IngestError {
    let column = |index: usize| RAW_RATINGS.header[index].to_string();
    match error {
        LineError::Changed => IngestError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!(
                "the file changed while it was read (line {line} was not there a moment before)"
            )),
        },
        LineError::FieldCount(found) => IngestError::FieldCount {
            path: path.to_path_buf(),
            line,
            expected: RAW_RATINGS.header.len(),
            found,
        },
        LineError::Missing(index) => IngestError::MissingValue {
            path: path.to_path_buf(),
            line,
            column: column(index),
        },
        LineError::Bad {
            column: index,
            value,
        } => match String::from_utf8(value) {
            Ok(value) => IngestError::BadValue {
                path: path.to_path_buf(),
                line,
                column: column(index),
                value,
                expected: TYPES[index].describe(),
            },
            Err(_) => IngestError::Encoding {
                path: path.to_path_buf(),
                line,
            },
        },
    }
}

/// The 1-based line of data row `row` (0-based, blank lines not counted): the cold path that
/// turns a validation failure's row into a line number (blank lines make the two differ).
fn line_of_row(path: &Path, row: usize) -> Result<usize, IngestError> {
    Ok(lines_of_rows(path, &[row])?[0])
}

/// [`line_of_row`] for several rows, in one streaming pass over the file.
fn lines_of_rows(path: &Path, rows: &[usize]) -> Result<Vec<usize>, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut lines: Vec<Option<usize>> = vec![None; rows.len()];
    let (mut line, mut row) = (0, 0);
    let mut buffer = Vec::new();
    while lines.iter().any(Option::is_none) {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer).map_err(io)? == 0 {
            break;
        }
        line += 1;
        let text = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        if line == 1 || text.strip_suffix(b"\r").unwrap_or(text).is_empty() {
            continue;
        }
        for (wanted, found) in rows.iter().zip(&mut lines) {
            if *wanted == row {
                *found = Some(line);
            }
        }
        row += 1;
    }
    Ok(rows
        .iter()
        .zip(lines)
        .map(|(row, line)| line.unwrap_or(row + 2))
        .collect())
}

#[cfg(test)]
mod tests;
