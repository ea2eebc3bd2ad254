"""Runs the per-slate reduction that `slate log-sql --dialect spark` prints on Apache Spark and
writes Spark's per-slate table as parquet.

    spark-submit reduce_slates.py LOG QUERY.sql OUT_DIR      # on a cluster (any --master)
    python reduce_slates.py LOG QUERY.sql OUT_DIR            # local mode (pyspark from PyPI)

LOG is the impression log (a parquet file or directory, any filesystem Spark reads), exposed to
the query as the table `impressions`. `crates/estimate/tests/spark.rs` runs it in local mode
over a generated log and compares the result with the embedded engine's.
"""

import sys

from pyspark.sql import SparkSession


def main(log: str, query_file: str, out: str) -> None:
    # Without spark-submit, pyspark runs in local mode on every core.
    spark = SparkSession.builder.appName("slate-interference per-slate reduction").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.read.parquet(log).createOrReplaceTempView("impressions")
    with open(query_file, encoding="utf-8") as f:
        query = f.read()
    spark.sql(query).write.mode("overwrite").parquet(out)
    spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:4])
