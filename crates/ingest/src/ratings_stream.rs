//! ratings.csv read, validated and written as the ratings table in one streamed pass, for the
//! files that allow it: every line a rating (no blank line) and the `(user, movie)` pairs
//! strictly increasing, MovieLens's own order, so that uniqueness needs no sort.
//!
//! Each row group of the table is parsed from its own lines when the writer encodes it, into
//! buffers reused from group to group, so memory holds the row groups in flight instead of the
//! table. Holding the table whole (32 M ratings: 770 MB of columns) made the OS zero every page
//! of it as it was first written, a third of ingest's time on this machine and more right after
//! another process had freed its memory.
//!
//! Any other file, valid or not, is left to [`crate::ratings_csv::read`], which holds the
//! columns whole, sorts keys when it must, and names the first bad line. This pass never
//! reports a rating's error itself: it gives up, and the file is read again whole, so every
//! message stays that reader's.

use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use slate_table::{ColumnSlice, ROW_GROUP_ROWS, RowBatch, Staged, TableError};

use crate::IngestError;
use crate::ids::IdIndex;
use crate::ratings_csv::{self, RatingsColumns, Slot, Span};
use crate::readiness::RatingsSummary;
use crate::schema::RATINGS;

/// The ratings table, written and synced beside its destination but not yet in place, and
/// what the readiness checks need of its ratings.
#[derive(Debug)]
pub(crate) struct Streamed {
    /// The table, put in place by [`Staged::persist`] once the other files are valid too.
    pub staged: Staged,
    /// Rows, ratings per user and rated movies.
    pub summary: RatingsSummary,
}

/// One row group's columns and the text they are parsed from, reused from group to group:
/// never shrunk, so a reused buffer's pages are already the process's.
#[derive(Debug, Default)]
struct Buffers {
    columns: RatingsColumns,
    text: Vec<u8>,
}

impl Buffers {
    /// Makes room for `rows` rows (zeroing only what was never allocated).
    fn grow(&mut self, rows: usize) {
        let columns = &mut self.columns;
        if columns.len() < rows {
            columns.user_id.resize(rows, 0);
            columns.movie_id.resize(rows, 0);
            columns.rating.resize(rows, 0.0);
            columns.timestamp.resize(rows, 0);
        }
    }
}

/// Buffers not lent out, shared by the batches.
type Pool = Arc<Mutex<Vec<Buffers>>>;

/// One row group's rows, lent to the writer; its buffers go back to the pool when the writer
/// drops it.
struct RatingsBatch {
    buffers: Buffers,
    rows: usize,
    pool: Pool,
}

impl RowBatch for RatingsBatch {
    fn columns(&self) -> Vec<ColumnSlice<'_>> {
        self.buffers.columns.slices(self.rows)
    }
}

impl Drop for RatingsBatch {
    fn drop(&mut self) {
        let buffers = std::mem::take(&mut self.buffers);
        give_back(&self.pool, buffers);
    }
}

/// Returns `buffers` to `pool`, for the next row group.
fn give_back(pool: &Pool, buffers: Buffers) {
    pool.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(buffers);
}

/// What a row group tells about the whole file: its first and last `(user, movie)` key, to
/// check the order across groups, and its users' runs of ratings, in order.
#[derive(Debug)]
struct GroupSummary {
    first: u64,
    last: u64,
    users: Vec<(u32, u32)>,
}

/// Reads, validates and writes `path` (whose header line, `header_bytes` long, has been
/// checked; `known` holds the catalogue's movie ids) as the ratings table in `out_dir`,
/// staged. `None` when the file is not one this pass takes (see the module's doc), empty or
/// invalid, or the table could not be staged: no file is left behind (`out_dir` may have been
/// created), and [`ratings_csv::read`] reads it whole, naming any error in the file before a
/// write is tried again.
pub(crate) fn stream(
    path: &Path,
    header_bytes: u64,
    known: &IdIndex,
    out_dir: &Path,
) -> Result<Option<Streamed>, IngestError> {
    stream_in(path, header_bytes, known, out_dir, ratings_csv::RANGE_BYTES)
}

/// [`stream`] with ranges of `range_bytes` for the first pass (small in tests, to put many
/// range boundaries inside a row group).
fn stream_in(
    path: &Path,
    header_bytes: u64,
    known: &IdIndex,
    out_dir: &Path,
    range_bytes: u64,
) -> Result<Option<Streamed>, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (file, spans) = ratings_csv::open_spans(path, header_bytes, range_bytes)?;
    // Every line a rating, until a group finds otherwise.
    let rows: usize = spans.iter().map(|(_, lines)| *lines).sum();
    if rows == 0 {
        return Ok(None);
    }
    let groups = spans_by_group(&file, spans, rows, ROW_GROUP_ROWS).map_err(io)?;
    let pool: Pool = Arc::default();
    let summaries: Vec<Mutex<Option<GroupSummary>>> =
        groups.iter().map(|_| Mutex::new(None)).collect();
    let rated: Vec<AtomicBool> = (0..known.len()).map(|_| AtomicBool::new(false)).collect();
    let batch = |range: Range<usize>| -> slate_table::Result<RatingsBatch> {
        let group = range.start / ROW_GROUP_ROWS;
        let taken = pool.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut buffers = taken.unwrap_or_default();
        buffers.grow(range.len());
        let parsed = parse_group(&file, &groups[group], range.len(), known, &mut buffers).map_err(
            |source| TableError::Io {
                path: path.to_path_buf(),
                source,
            },
        )?;
        let Some(summary) = parsed else {
            give_back(&pool, buffers);
            return Err(TableError::Corrupt {
                path: path.to_path_buf(),
                format: "csv",
                message: "not sorted ratings alone: read whole instead".into(),
            });
        };
        for movie in &buffers.columns.movie_id[..range.len()] {
            if let Some(row) = known.get(*movie) {
                rated[row as usize].store(true, Ordering::Relaxed);
            }
        }
        *summaries[group]
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(summary);
        Ok(RatingsBatch {
            buffers,
            rows: range.len(),
            pool: Arc::clone(&pool),
        })
    };
    let staged = match slate_table::stage_parquet_batches(&[&RATINGS], &[], rows, batch, out_dir) {
        Ok(staged) => staged,
        // Reading ratings.csv failed: that is the error, whoever reads it.
        Err(TableError::Io {
            path: failed,
            source,
        }) if failed == path => {
            return Err(IngestError::Io {
                path: failed,
                source,
            });
        }
        // Given up, or the table could not be staged (the folder, a full disk): the whole
        // reader names any error in the file first, then writing is tried again.
        Err(_) => return Ok(None),
    };
    let summaries: Option<Vec<GroupSummary>> = summaries
        .into_iter()
        .map(|summary| summary.into_inner().unwrap_or_else(PoisonError::into_inner))
        .collect();
    let Some(summaries) = summaries else {
        return Ok(None);
    };
    if !summaries
        .windows(2)
        .all(|pair| pair[0].last < pair[1].first)
    {
        return Ok(None);
    }
    // A user's run may go on in the next group.
    let mut per_user: Vec<(u32, u32)> = Vec::new();
    for (user, ratings) in summaries.into_iter().flat_map(|group| group.users) {
        match per_user.last_mut() {
            Some((last, count)) if *last == user => *count += ratings,
            _ => per_user.push((user, ratings)),
        }
    }
    Ok(Some(Streamed {
        staged,
        summary: RatingsSummary {
            rows,
            per_user: per_user.into_iter().map(|(_, ratings)| ratings).collect(),
            rated_movies: rated.iter().filter(|r| r.load(Ordering::Relaxed)).count(),
        },
    }))
}

/// The spans of each row group: `spans` (lines from `line_spans`, `rows` in all) cut at every
/// multiple of `group_rows` lines, so that a group's rows are exactly its spans' lines.
fn spans_by_group(
    file: &File,
    spans: Vec<Span>,
    rows: usize,
    group_rows: usize,
) -> std::io::Result<Vec<Vec<Span>>> {
    let mut groups: Vec<Vec<Span>> = vec![Vec::new(); rows.div_ceil(group_rows)];
    let mut buffer = Vec::new();
    let mut line = 0;
    for (mut span, mut lines) in spans {
        // A range that starts inside the file's last line (or a line longer than a range) has
        // no line of its own.
        if lines == 0 {
            continue;
        }
        loop {
            let group = line / group_rows;
            let group_end = (group + 1) * group_rows;
            if line + lines <= group_end {
                groups[group].push((span, lines));
                line += lines;
                break;
            }
            let take = group_end - line;
            let bytes = ratings_csv::read_span(file, span.clone(), &mut buffer)?;
            let cut = span.start + after_newline(bytes, take) as u64;
            groups[group].push((span.start..cut, take));
            (span, lines, line) = (cut..span.end, lines - take, group_end);
        }
    }
    Ok(groups)
}

/// The position just after the `n`-th newline of `bytes` (`n` ≥ 1 and at most their count):
/// whole blocks skipped by the counting of [`ratings_csv::lines_in`], then a byte scan.
fn after_newline(bytes: &[u8], n: usize) -> usize {
    let mut left = n;
    let mut start = 0;
    for block in bytes.chunks(4096) {
        let in_block = ratings_csv::count_newlines(block);
        if in_block < left {
            left -= in_block;
            start += block.len();
            continue;
        }
        for (offset, &byte) in block.iter().enumerate() {
            if byte == b'\n' {
                left -= 1;
                if left == 0 {
                    return start + offset + 1;
                }
            }
        }
    }
    bytes.len()
}

/// Parses and checks a group's `spans` (`rows` lines) into the front of `buffers`. `None`
/// unless every line is a valid rating and the keys strictly increase.
fn parse_group(
    file: &File,
    spans: &[Span],
    rows: usize,
    known: &IdIndex,
    buffers: &mut Buffers,
) -> std::io::Result<Option<GroupSummary>> {
    let Buffers {
        columns:
            RatingsColumns {
                user_id,
                movie_id,
                rating,
                timestamp,
            },
        text,
    } = buffers;
    let mut filled = 0;
    let mut previous: Option<u64> = None;
    for (span, lines) in spans {
        let end = filled + lines;
        if end > rows {
            return Ok(None);
        }
        let bytes = ratings_csv::read_span(file, span.clone(), text)?;
        let mut slot = Slot::new(
            &mut user_id[filled..end],
            &mut movie_id[filled..end],
            &mut rating[filled..end],
            &mut timestamp[filled..end],
        );
        let (parsed, error) = ratings_csv::parse_lines(bytes, &mut slot);
        let checked = ratings_csv::check(&slot, parsed, error, known);
        let clean = checked.error.is_none()
            && checked.row_error.is_none()
            && checked.sorted
            && checked.rows == *lines
            && checked.lines == *lines;
        let Some((first, last)) = checked.keys.filter(|_| clean) else {
            return Ok(None);
        };
        if previous.is_some_and(|previous| previous >= first) {
            return Ok(None);
        }
        previous = Some(last);
        filled = end;
    }
    if filled != rows || rows == 0 {
        return Ok(None);
    }
    let key = |row: usize| ratings_csv::pair_key(user_id[row], movie_id[row]);
    let users = user_id[..rows]
        .chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len() as u32))
        .collect();
    Ok(Some(GroupSummary {
        first: key(0),
        last: key(rows - 1),
        users,
    }))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    /// A ratings.csv of `rows` ratings sorted by `(user, movie)`, ten per user, header included.
    fn sorted_ratings(rows: usize) -> Vec<u8> {
        let mut text = b"userId,movieId,rating,timestamp\n".to_vec();
        for row in 0..rows {
            let (user, movie) = (row / 10 + 1, row % 10 + 1);
            let rating = 0.5 * ((row % 10) + 1) as f64;
            writeln!(text, "{user},{movie},{rating:.1},{}", 964_982_703 + row).unwrap();
        }
        text
    }

    fn catalogue() -> IdIndex {
        IdIndex::rows(&(1..=10).collect::<Vec<u32>>())
    }

    fn header_bytes(text: &[u8]) -> u64 {
        text.iter().position(|&b| b == b'\n').unwrap() as u64 + 1
    }

    #[test]
    fn after_newline_finds_the_nth_line_end() {
        let text: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("{i},{}\n", i * 7).into_bytes())
            .collect();
        let ends: Vec<usize> = text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(at, _)| at + 1)
            .collect();
        for n in [1, 2, 400, 401, 9_999, 20_000] {
            assert_eq!(after_newline(&text, n), ends[n - 1], "line {n}");
        }
    }

    #[test]
    fn groups_hold_exactly_their_lines_whatever_the_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ratings.csv");
        let mut empty_spans = 0;
        for rows in [5_003, 5_000] {
            let text = sorted_ratings(rows);
            std::fs::write(&path, &text).unwrap();
            let file = File::open(&path).unwrap();
            let data = header_bytes(&text)..text.len() as u64;
            for range_bytes in [37, 50, 97, 4_096, 1 << 20] {
                for group_rows in [1_000, 333, 7, 5_000] {
                    let spans = ratings_csv::line_spans(&file, &data, range_bytes).unwrap();
                    // Ranges that start inside the last line have no line (when the file's
                    // rows fill their last group, those once indexed past the groups).
                    empty_spans += spans.iter().filter(|(_, lines)| *lines == 0).count();
                    let groups = spans_by_group(&file, spans, rows, group_rows).unwrap();
                    assert_eq!(groups.len(), rows.div_ceil(group_rows));
                    let mut next = data.start;
                    for (group, spans) in groups.iter().enumerate() {
                        let expected = group_rows.min(rows - group * group_rows);
                        assert_eq!(spans.iter().map(|(_, l)| l).sum::<usize>(), expected);
                        for (span, lines) in spans {
                            assert_eq!(span.start, next, "spans are contiguous");
                            let bytes = &text[span.start as usize..span.end as usize];
                            assert_eq!(ratings_csv::lines_in(bytes), *lines);
                            assert!(*lines > 0, "no empty span in a group");
                            next = span.end;
                        }
                    }
                    assert_eq!(next, data.end);
                }
            }
        }
        assert!(empty_spans > 0, "the cases include ranges without a line");
    }

    /// Streams `text` as ratings.csv into a fresh folder: the result and the folder's files.
    fn stream_text(text: &[u8]) -> (Option<Streamed>, tempfile::TempDir) {
        stream_text_in(text, ratings_csv::RANGE_BYTES)
    }

    /// [`stream_text`] with first-pass ranges of `range_bytes`.
    fn stream_text_in(text: &[u8], range_bytes: u64) -> (Option<Streamed>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ratings.csv");
        std::fs::write(&path, text).unwrap();
        let out = dir.path().join("out");
        let streamed =
            stream_in(&path, header_bytes(text), &catalogue(), &out, range_bytes).unwrap();
        (streamed, dir)
    }

    /// The whole reader's columns of `dir/ratings.csv` and the ratings table they make, as
    /// bytes.
    fn whole_table(dir: &Path, text: &[u8]) -> (RatingsColumns, Vec<u8>) {
        let columns =
            ratings_csv::read(&dir.join("ratings.csv"), header_bytes(text), &catalogue()).unwrap();
        let written = slate_table::write_parquet_columns(
            &columns.slices(columns.len()),
            &RATINGS,
            &dir.join("whole"),
        )
        .unwrap();
        let bytes = std::fs::read(written).unwrap();
        (columns, bytes)
    }

    /// `text` with the `(user, movie)` of line `to` (0 = the first after the header) replaced
    /// by that of line `from`.
    fn with_pair_of(text: &[u8], from: usize, to: usize) -> Vec<u8> {
        let text = String::from_utf8(text.to_vec()).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let pair = |line: &str| line.splitn(3, ',').take(2).collect::<Vec<_>>().join(",");
        let rest = |line: &str| line.splitn(3, ',').nth(2).unwrap().to_string();
        lines[to + 1] = format!("{},{}", pair(&lines[from + 1]), rest(&lines[to + 1]));
        (lines.join("\n") + "\n").into_bytes()
    }

    #[test]
    fn keys_are_checked_across_ranges_and_row_groups() {
        // A repeated pair where a range ends inside a row group, and where a group ends: each
        // range is sorted on its own, so only the checks across them see it.
        let text = sorted_ratings(3_000);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ratings.csv");
        std::fs::write(&path, &text).unwrap();
        let data = header_bytes(&text)..text.len() as u64;
        let spans = ratings_csv::line_spans(&File::open(&path).unwrap(), &data, 1_000).unwrap();
        let first = spans[0].1;
        let repeated = with_pair_of(&text, first - 1, first);
        assert!(
            stream_text_in(&text, 1_000).0.is_some(),
            "the file itself streams"
        );
        assert!(
            stream_text_in(&repeated, 1_000).0.is_none(),
            "across ranges"
        );
        let past_a_group = sorted_ratings(ROW_GROUP_ROWS + 10);
        let repeated = with_pair_of(&past_a_group, ROW_GROUP_ROWS - 1, ROW_GROUP_ROWS);
        assert!(
            stream_text(&past_a_group).0.is_some(),
            "the file itself streams"
        );
        assert!(stream_text(&repeated).0.is_none(), "across row groups");
    }

    #[test]
    fn a_last_line_without_newline_streams_the_same_table() {
        let mut text = sorted_ratings(2_345);
        assert_eq!(text.pop(), Some(b'\n'));
        for range_bytes in [1_000, ratings_csv::RANGE_BYTES] {
            let (streamed, dir) = stream_text_in(&text, range_bytes);
            let streamed = streamed.expect("streams");
            assert_eq!(streamed.summary.rows, 2_345);
            let placed = streamed.staged.persist().unwrap();
            let (_, whole) = whole_table(dir.path(), &text);
            assert_eq!(
                std::fs::read(placed).unwrap(),
                whole,
                "ranges of {range_bytes}"
            );
        }
    }

    #[test]
    fn streamed_table_is_the_whole_readers_byte_for_byte() {
        // Past two row-group boundaries, so that groups and ranges cut lines differently.
        let rows = 2 * ROW_GROUP_ROWS + 12_345;
        let text = sorted_ratings(rows);
        let (streamed, dir) = stream_text(&text);
        let streamed = streamed.expect("a sorted file of ratings streams");
        let (columns, whole) = whole_table(dir.path(), &text);
        let expected = RatingsSummary::of(
            &columns.user_id,
            &columns.movie_id,
            &(1..=10).collect::<Vec<u32>>(),
        );
        assert_eq!(streamed.summary, expected);
        assert_eq!(expected.per_user.len(), rows.div_ceil(10));
        let out = dir.path().join("out");
        assert!(
            !out.join(RATINGS.file_name).exists(),
            "staged, not in place"
        );
        let placed = streamed.staged.persist().unwrap();
        assert_eq!(std::fs::read(placed).unwrap(), whole);
    }

    #[test]
    fn other_files_are_left_to_the_whole_reader_and_leave_nothing() {
        let good = sorted_ratings(40);
        let text = |good: &[u8], from: &str, to: &str| -> Vec<u8> {
            String::from_utf8(good.to_vec())
                .unwrap()
                .replacen(from, to, 1)
                .into_bytes()
        };
        let cases = [
            ("unsorted", text(&good, "\n1,2,", "\n1,9,")),
            ("a repeated pair", text(&good, "\n1,2,", "\n1,1,")),
            ("a blank line", text(&good, "\n2,1,", "\n\n2,1,")),
            ("a bad rating", text(&good, ",1.0,", ",7.0,")),
            ("an unknown movie", text(&good, "\n1,2,", "\n1,99,")),
            ("a short line", text(&good, "\n1,2,1.0,", "\n1,2,")),
            ("no rows", b"userId,movieId,rating,timestamp\n".to_vec()),
        ];
        for (what, text) in cases {
            assert_ne!(text, good, "{what}: the case changes the file");
            let (streamed, dir) = stream_text(&text);
            assert!(streamed.is_none(), "{what}: not streamed");
            let left: Vec<_> = std::fs::read_dir(dir.path().join("out"))
                .map(|entries| entries.collect())
                .unwrap_or_default();
            assert!(left.is_empty(), "{what}: nothing left behind");
        }
        let (streamed, _dir) = stream_text(&good);
        assert!(streamed.is_some(), "the unchanged file streams");
    }
}
