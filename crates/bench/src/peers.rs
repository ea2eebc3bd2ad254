//! The Python peers the benchmarks time ours against (bench/*.py, pinned in
//! bench/requirements.txt).

use std::path::Path;

use anyhow::{Context, Result};
use tracing::info;

/// Installs the pinned Python peers (bench/requirements.txt) when they are missing.
pub fn ensure_python_peers(root: &Path) -> Result<()> {
    let present = std::process::Command::new("python3")
        .args([
            "-c",
            "import lightgbm, xgboost, numpy, pandas, polars, pyarrow, statsmodels",
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !present {
        info!("installing the Python peers from bench/requirements.txt");
        let status = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(root.join("bench").join("requirements.txt"))
            .status()?;
        anyhow::ensure!(
            status.success(),
            "pip install -r bench/requirements.txt failed"
        );
    }
    Ok(())
}

/// Runs `python3 bench/<script> <args>` as its users run it (without our libgomp setting
/// from .cargo/config.toml) and parses the JSON it prints.
pub(crate) fn run_peer(root: &Path, script: &str, args: &[&str]) -> Result<serde_json::Value> {
    let output = std::process::Command::new("python3")
        .env_remove("GOMP_SPINCOUNT")
        .arg(root.join("bench").join(script))
        .args(args)
        .output()
        .with_context(|| format!("running bench/{script}"))?;
    anyhow::ensure!(
        output.status.success(),
        "bench/{script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}
