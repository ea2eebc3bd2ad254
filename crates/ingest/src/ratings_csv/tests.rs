//! Tests of `ratings_csv.rs`.

use super::*;

/// What a range of `text` parses to: its rows, lines and first error.
struct Parsed {
    columns: RatingsColumns,
    lines: usize,
    error: Option<(usize, LineError)>,
}

fn parse(text: &str) -> Parsed {
    let mut columns = RatingsColumns::zeroed(text.len());
    let mut slots = columns.slots(&[text.len()]);
    let (lines, error) = parse_lines(text.as_bytes(), &mut slots[0]);
    let rows = slots[0].len;
    drop(slots);
    columns.compact(&[text.len()], &[rows]);
    Parsed {
        columns,
        lines,
        error,
    }
}

#[test]
fn numbers_parse_exactly_as_the_standard_library_does() {
    for field in ["0.5", "3.5", "5", "4.0", "1.25", "+2", "3.", "0.1"] {
        assert_eq!(
            parse_rating(field.as_bytes()),
            field.parse::<f64>().ok(),
            "{field}"
        );
    }
    for field in [
        "0",
        "17",
        "4294967295",
        "4294967296",
        "+5",
        "-1",
        "1 ",
        "0x1",
    ] {
        assert_eq!(parse_u32(field.as_bytes()), field.parse().ok(), "{field}");
    }
    for field in [
        "944249077",
        "-1",
        "999999999999999999",
        "9223372036854775808",
    ] {
        assert_eq!(parse_i64(field.as_bytes()), field.parse().ok(), "{field}");
    }
}

#[test]
fn half_stars_are_exactly_the_ten_ratings() {
    let accepted: Vec<f64> = (0..=120)
        .map(|tenths| f64::from(tenths) / 20.0)
        .filter(|value| is_half_star(*value))
        .collect();
    assert_eq!(accepted, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]);
    for value in [f64::NAN, f64::INFINITY, 0.0, -0.5, 5.5, 4.25, 0.5 + 1e-15] {
        assert!(!is_half_star(value), "{value}");
    }
}

#[test]
fn lines_with_crlf_blank_lines_and_no_final_newline_parse() {
    let parsed = parse("1,2,3.5,100\r\n\n1,5,4,101");
    assert!(parsed.error.is_none());
    assert_eq!(parsed.lines, 3);
    assert_eq!(parsed.columns.movie_id, [2, 5]);
    assert_eq!(parsed.columns.rating, [3.5, 4.0]);
    assert_eq!(parsed.columns.timestamp, [100, 101]);
}

#[test]
fn a_bad_line_is_reported_by_its_index_and_column() {
    let cases = [
        ("1,2,3.5,100\n1,2,3.5\n", 1, LineError::FieldCount(3)),
        ("1,2,3.5,100,7\n", 0, LineError::FieldCount(5)),
        ("\n1,,3.5,100\n", 1, LineError::Missing(1)),
        (
            "1,2,\"4\",100\n",
            0,
            LineError::Bad {
                column: 2,
                value: b"\"4\"".to_vec(),
            },
        ),
        (
            "-1,2,4,100\n",
            0,
            LineError::Bad {
                column: 0,
                value: b"-1".to_vec(),
            },
        ),
    ];
    for (text, index, error) in cases {
        assert_eq!(parse(text).error, Some((index, error)), "{text:?}");
    }
}

proptest::proptest! {
    /// The word-at-a-time digits agree with the bytewise ones on any bytes, at any
    /// position, for both terminators and every digit limit in use.
    #[test]
    fn word_digits_equal_bytewise_digits(
        bytes in proptest::collection::vec(
            proptest::prop_oneof![
                (b'0'..=b'9'),
                proptest::strategy::Just(b','),
                proptest::strategy::Just(b'\n'),
                proptest::prelude::any::<u8>()
            ],
            0..40,
        ),
        pos in 0usize..40,
    ) {
        let pos = pos.min(bytes.len());
        for (end, max_digits) in [(b',', 10), (b'\n', 18), (b',', 18), (b'\n', 3)] {
            proptest::prop_assert_eq!(
                fast_digits(&bytes, pos, end, max_digits),
                digits_bytewise(&bytes, pos, end, max_digits),
                "end {:?}, max {}", end as char, max_digits
            );
        }
    }
}

#[test]
fn word_digits_read_every_length_and_boundary() {
    for digits in 1..=19usize {
        let number: String = (0..digits)
            .map(|i| char::from(b'1' + (i % 9) as u8))
            .collect();
        for pad in 0..10 {
            let text = format!("{}{number},7,{}", "9,".repeat(pad), "x".repeat(12));
            let pos = 2 * pad;
            let expected =
                (digits <= 18).then(|| (number.parse::<u64>().unwrap(), pos + digits + 1));
            assert_eq!(
                fast_digits(text.as_bytes(), pos, b',', 18),
                expected,
                "{text}"
            );
        }
    }
    assert_eq!(eight_digits(0), 0);
    assert_eq!(eight_digits(0x0908_0706_0504_0302), 23_456_789);
}

#[test]
fn newlines_are_counted_across_blocks() {
    let mut bytes = vec![b'1'; 1000];
    for i in (0..1000).step_by(3) {
        bytes[i] = b'\n';
    }
    let expected = bytes.iter().filter(|&&b| b == b'\n').count();
    for len in [0, 1, 254, 255, 256, 511, 1000] {
        let expected = bytes[..len].iter().filter(|&&b| b == b'\n').count();
        assert_eq!(count_newlines(&bytes[..len]), expected, "{len}");
    }
    assert_eq!(count_newlines(&[b'\n'; 600]), 600);
    assert_eq!(count_newlines(&bytes), expected);
}

#[test]
fn a_slot_that_is_full_reports_a_changed_file() {
    let mut columns = RatingsColumns::zeroed(1);
    let mut slots = columns.slots(&[1]);
    let (lines, error) = parse_lines(b"1,2,3.5,100\n1,3,4,101\n", &mut slots[0]);
    assert_eq!((lines, error), (1, Some((1, LineError::Changed))));
}

/// Range boundaries fall inside lines, on newlines and right after them: every split of a
/// small file gives the same columns as one range, and the whole file reads the same.
#[test]
fn every_range_boundary_gives_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ratings.csv");
    let header = "userId,movieId,rating,timestamp\n";
    let body = "1,10,4.0,100\n1,12,3.5,101\r\n\n2,10,5,102\n22,1000,0.5,1234567890";
    std::fs::write(&path, format!("{header}{body}")).unwrap();
    let file = File::open(&path).unwrap();
    let data = header.len() as u64..(header.len() + body.len()) as u64;
    let whole = parse(body).columns;
    assert_eq!(whole.len(), 4);
    for cut in data.clone() {
        let cut = line_start_at_or_after(&file, cut, &data).unwrap();
        let (head, tail) = body.split_at((cut - data.start) as usize);
        let (head, tail) = (parse(head), parse(tail));
        assert!(head.error.is_none() && tail.error.is_none());
        let mut rows = head.columns;
        rows.user_id.extend(tail.columns.user_id);
        rows.movie_id.extend(tail.columns.movie_id);
        rows.rating.extend(tail.columns.rating);
        rows.timestamp.extend(tail.columns.timestamp);
        assert_eq!(rows, whole, "cut at {cut}");
    }
    let known = crate::ids::IdIndex::ranks(&(0..1001).collect::<Vec<u32>>());
    assert_eq!(read(&path, header.len() as u64, &known).unwrap(), whole);
    // Many ranges, some holding no line start and some only a blank line.
    for range_bytes in 1..=body.len() as u64 {
        let rows = read_in_ranges(&path, header.len() as u64, &known, range_bytes).unwrap();
        assert_eq!(rows, whole, "ranges of {range_bytes} bytes");
    }
    assert_eq!(line_of_row(&path, 2).unwrap(), 5);
}
