//! The reduction as one hand-written pass over a log whose slates are contiguous and in
//! slate-id order: the embedded engine's default where it applies.
//!
//! The SQL of [`crate::sql`] stays the definition (and Spark's query, and the path for any other
//! file). This pass computes the same per-slate table from the same canonical columns, row by
//! row in file order, so a slate's floating sums run in the order the SQL engine sums them. It
//! needs no join, no hash grouping and no per-row columns: each slate is a run of rows, its
//! roles are found from its focal rows, and every statistic is added as its row is read.
//!
//! It hands the log back ([`Native::Declined`], with the reason) to the SQL path whenever the
//! log holds something whose SQL semantics it does not repeat, so that the SQL path's checks
//! name it exactly as before: a null in a column the analysis reads, a flag or click that is not
//! 0 or 1, ids that are neither integers nor strings, a slate with no focal row (or, without
//! target positions, with more than one), or slates that are not contiguous in increasing id
//! order (checked here, row by row: row-group statistics do not prove it).

use std::path::Path;

use slate_exposure::ExposureError;
use slate_log::{LogColumn, LogConfig};
use slate_table::TableError;
use slate_table::polars::prelude::*;

use crate::columns::CellStat;
use crate::sql::LogShape;

mod batch;
mod slate;
mod table;

use batch::{Batch, Ids, batch};
use slate::{Plan, reduce_slate};
use table::Table;

/// What the pass did.
pub(crate) enum Native {
    /// The table was written: slates, rows and the windows read.
    Written {
        slates: usize,
        rows: usize,
        windows: usize,
    },
    /// The log needs the SQL path, for this reason.
    Declined(String),
}

/// A window of whole slates read from the log, or why the pass stops.
enum Window {
    /// The canonical columns of the window's rows and the first row of each complete slate
    /// (the window ends with the last one).
    Slates {
        batch: Box<Batch>,
        starts: Vec<usize>,
        end: usize,
    },
    /// The log needs the SQL path.
    Declined(String),
    /// Reading failed.
    Failed(ExposureError),
}

/// The last slate id of a window, to check the order across windows.
enum LastId {
    Int(i64),
    Str(String),
}

/// Reads the log's windows in order on the calling thread and sends each, ending each window
/// at a slate boundary (the window's last slate is read again with the next rows, since it may
/// go on there). Stops at the end, at the first problem, or when the receiver hangs up.
fn read_windows(
    scan: &LazyFrame,
    config: &LogConfig,
    shape: &LogShape,
    rows: usize,
    window: usize,
    send: &std::sync::mpsc::SyncSender<Window>,
    failed: &dyn Fn(PolarsError) -> ExposureError,
) {
    let not_in_order =
        || Window::Declined("its slates are not contiguous in increasing id order".into());
    let mut offset = 0usize;
    let mut last: Option<LastId> = None;
    while offset < rows {
        // A window of whole slates: widened until it holds a slate boundary (or the file's end).
        let mut len = window.max(1);
        let (batch, height, starts, end_of_file) = loop {
            let frame = match scan
                .clone()
                .slice(offset as i64, len.min(rows - offset) as u32)
                .collect()
            {
                Ok(frame) => frame,
                Err(e) => {
                    let _ = send.send(Window::Failed(failed(e)));
                    return;
                }
            };
            let batch = match batch(&frame, config, shape) {
                Ok(b) => b,
                Err(reason) => {
                    let _ = send.send(Window::Declined(reason));
                    return;
                }
            };
            let height = frame.height();
            let end_of_file = offset + height >= rows;
            let mut starts = vec![0usize];
            for r in 1..height {
                if !batch.slate.same(r - 1, r) {
                    if !batch.slate.after(r - 1, r) {
                        let _ = send.send(not_in_order());
                        return;
                    }
                    starts.push(r);
                }
            }
            if end_of_file || starts.len() > 1 {
                break (batch, height, starts, end_of_file);
            }
            len *= 2;
        };
        let ordered = match (&last, &batch.slate) {
            (None, _) => true,
            (Some(LastId::Int(a)), Ids::Int(v)) => v[0] > *a,
            (Some(LastId::Str(a)), Ids::Str(v)) => v.get(0).is_some_and(|s| s > a.as_str()),
            _ => false,
        };
        if !ordered {
            let _ = send.send(not_in_order());
            return;
        }
        let mut starts = starts;
        let end = if end_of_file {
            height
        } else {
            starts.pop().expect("a boundary")
        };
        last = Some(match &batch.slate {
            Ids::Int(v) => LastId::Int(v[end - 1]),
            Ids::Str(_) => LastId::Str(batch.slate.str_at(end - 1).to_string()),
        });
        offset += end;
        if send
            .send(Window::Slates {
                batch: Box::new(batch),
                starts,
                end,
            })
            .is_err()
        {
            return;
        }
    }
}

/// Reduces the parquet log at `path` (`rows` rows), read about `window` rows at a time (a
/// window ends at a slate boundary), into the per-slate table written to `out`; declines when
/// the log needs the SQL path (what was written to `out` is then to be discarded). One thread
/// reads and decodes the next window while this one reduces the current and a third encodes
/// and writes the previous.
pub(crate) fn reduce<W: std::io::Write + Send>(
    path: &Path,
    config: &LogConfig,
    shape: &LogShape,
    rows: usize,
    window: usize,
    out: W,
) -> Result<Native, ExposureError> {
    let failed = |source: PolarsError| {
        ExposureError::Table(TableError::Polars {
            table: path.display().to_string(),
            source,
        })
    };
    let mut names: Vec<String> = LogColumn::ALL
        .into_iter()
        .filter(|c| match c {
            LogColumn::UnitId => shape.unit,
            LogColumn::UserId => shape.user,
            LogColumn::AssignmentProbability => shape.probability,
            LogColumn::ClickProbIfPromoted | LogColumn::ClickProbIfControl => shape.truth,
            LogColumn::TargetPosition => shape.target,
            _ => true,
        })
        .map(|c| config.file_name_of(c).to_string())
        .collect();
    names.extend(shape.outcomes.iter().chain(&shape.covariates).cloned());
    let scan = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(path).map_err(&failed)?,
        ScanArgsParquet::default(),
    )
    .map_err(&failed)?
    .select(names.iter().map(|n| col(n.as_str())).collect::<Vec<_>>());
    let plan = Plan {
        shape,
        stats: {
            let mut s = CellStat::OBSERVED.to_vec();
            if shape.truth {
                s.extend(CellStat::TRUTH);
            }
            s
        },
        no_null: shape.read_columns().len() as i64,
    };
    std::thread::scope(|scope| {
        // Rendezvous channels: the reader holds the next window until this thread takes it,
        // and the writer takes each window's rows as this thread finishes them, so memory holds
        // a few windows at most. Three threads: decode, reduce, encode and write.
        let (send, receive) = std::sync::mpsc::sync_channel::<Window>(0);
        let reader = {
            let scan = &scan;
            let failed = &failed;
            scope.spawn(move || read_windows(scan, config, shape, rows, window, &send, failed))
        };
        let (to_writer, frames) = std::sync::mpsc::sync_channel::<DataFrame>(0);
        let writer = {
            let failed = &failed;
            scope.spawn(move || -> Result<(), ExposureError> {
                let mut out = Some(out);
                let mut writer = None;
                for frame in frames.iter() {
                    if writer.is_none() {
                        writer = Some(
                            crate::columns::slate_stats_writer(
                                out.take().expect("the output is taken once"),
                            )
                            .batched(frame.schema())
                            .map_err(failed)?,
                        );
                    }
                    writer
                        .as_mut()
                        .expect("a writer")
                        .write_batch(&frame)
                        .map_err(failed)?;
                }
                if let Some(w) = writer {
                    w.finish().map_err(failed)?;
                }
                Ok(())
            })
        };
        let mut table: Option<Table> = None;
        let mut scratch = Vec::new();
        let (mut slates, mut windows) = (0usize, 0usize);
        let result = (|| {
            for message in receive.iter() {
                let (b, starts, end) = match message {
                    Window::Slates { batch, starts, end } => (batch, starts, end),
                    Window::Declined(reason) => return Ok(Native::Declined(reason)),
                    Window::Failed(e) => return Err(e),
                };
                let t = table.get_or_insert_with(|| Table::new(&b, shape));
                for (k, start) in starts.iter().enumerate() {
                    let stop = starts.get(k + 1).copied().unwrap_or(end);
                    if let Err(reason) = reduce_slate(&b, *start..stop, &plan, t, &mut scratch) {
                        return Ok(Native::Declined(reason));
                    }
                }
                let frame = t.take_frame(shape, &b).map_err(&failed)?;
                slates += frame.height();
                windows += 1;
                if to_writer.send(frame).is_err() {
                    // The writer stopped on an error, which its join returns.
                    break;
                }
            }
            if windows == 0 {
                return Ok(Native::Declined("the log has no rows".into()));
            }
            Ok(Native::Written {
                slates,
                rows,
                windows,
            })
        })();
        // Hanging up stops the reader at its next window and lets the writer finish.
        drop(receive);
        drop(to_writer);
        reader.join().expect("the reader thread does not panic");
        let written = writer.join().expect("the writer thread does not panic");
        match (result, written) {
            (Err(e), _) | (Ok(Native::Written { .. }), Err(e)) => Err(e),
            (result, _) => result,
        }
    })
}
