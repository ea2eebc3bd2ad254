//! `all --check`: the whole sequence twice, with 1 and 2 threads, compared byte for byte.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};

use crate::{DataSource, Paths, Pipeline, PipelineConfig};

/// Runs the whole sequence twice, in two temporary directories with 1 and 2 threads, and fails
/// if any processed artifact differs byte for byte. Returns the number of files compared.
pub fn check_determinism(config: &PipelineConfig, source: &DataSource) -> Result<usize> {
    let runs: Vec<tempfile::TempDir> = [1usize, 2]
        .iter()
        .map(|threads| {
            let root = tempfile::tempdir()?;
            let pipeline = Pipeline {
                config: config.clone(),
                paths: Paths::under(root.path()),
                progress: false,
            };
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(*threads)
                .build()?;
            pool.install(|| pipeline.all(source, &AtomicBool::new(false)))
                .with_context(|| format!("determinism run with {threads} thread(s)"))?;
            Ok(root)
        })
        .collect::<Result<_>>()?;
    let mut compared = 0;
    let dirs_of: [fn(Paths) -> PathBuf; 4] = [
        |p| p.processed_dir,
        |p| p.figures_dir,
        |p| p.writeup_dir.join("tables"),
        |p| p.writeup_dir,
    ];
    for dir_of in dirs_of {
        let dirs: Vec<PathBuf> = runs
            .iter()
            .map(|r| dir_of(Paths::under(r.path())))
            .collect();
        let list = |dir: &Path| -> Result<Vec<String>> {
            let mut names = Vec::new();
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                if entry.file_type()?.is_file() {
                    names.push(entry.file_name().to_string_lossy().to_string());
                }
            }
            names.sort();
            Ok(names)
        };
        let (names, other) = (list(&dirs[0])?, list(&dirs[1])?);
        if names != other {
            bail!("the two runs wrote different files: {names:?} vs {other:?}");
        }
        for name in &names {
            if std::fs::read(dirs[0].join(name))? != std::fs::read(dirs[1].join(name))? {
                bail!("{name} differs between the 1-thread and 2-thread runs");
            }
        }
        compared += names.len();
    }
    Ok(compared)
}
