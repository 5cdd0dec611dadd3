//! CSV read as its bytes arrive: `csv-core`, the push parser under BurntSushi's `csv` crate,
//! fed chunk by chunk from a multipart field or from storage. The `csv` crate's readers pull
//! from a blocking `std::io::Read`; its core takes whatever bytes there are and hands back
//! complete records, so neither an upload nor an import ever holds more than one record and
//! one chunk, whatever the file's size.

use csv_core::{ReadRecordResult, Reader};

/// Longest record, in bytes, and most cells in one record: beyond them a file is refused
/// rather than held in memory.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
pub const MAX_CELLS: usize = 500;

/// Why bytes are not a CSV this server reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is not UTF-8 text (record {0})")]
    NotUtf8(u64),
    #[error("the file holds a NUL byte, so it is not CSV text (record {0})")]
    Nul(u64),
    #[error("record {0} is longer than {MAX_RECORD_BYTES} bytes")]
    RecordTooLong(u64),
    #[error("record {0} has more than {MAX_CELLS} cells")]
    TooManyCells(u64),
}

/// RFC 4180 records from bytes given in any chunks. Blank lines are no records (as the `csv`
/// crate reads them); a quoted cell may span lines.
pub struct CsvRecords {
    reader: Reader,
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Records completed so far (the header is record 1).
    pub records: u64,
    started: bool,
    ended: bool,
}

impl Default for CsvRecords {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvRecords {
    pub fn new() -> Self {
        Self {
            reader: Reader::new(),
            out: vec![0; 4096],
            out_len: 0,
            ends: vec![0; 32],
            ends_len: 0,
            records: 0,
            started: false,
            ended: false,
        }
    }

    /// Reads `input` and calls `each` with every record it completes, in order, as its cells.
    /// An empty `input` is the end of the data: the last record, if unterminated, completes.
    pub fn feed<E: From<CsvError>>(
        &mut self,
        mut input: &[u8],
        mut each: impl FnMut(u64, Vec<String>) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.ended {
            return Ok(());
        }
        let at_end = input.is_empty();
        // A byte order mark the first chunk holds whole is dropped here: the core drops it
        // too, and then reads a first chunk of nothing else as the end of the data. (One
        // split across chunks reaches the first cell, which `cells` trims.)
        if !self.started {
            self.started = true;
            if let Some(rest) = input.strip_prefix(b"\xef\xbb\xbf".as_slice()) {
                input = rest;
                if input.is_empty() {
                    return Ok(());
                }
            }
        }
        loop {
            // An empty input tells the core the data ended: only at the end.
            if input.is_empty() && !at_end {
                return Ok(());
            }
            let (base_out, base_ends) = (self.out_len, self.ends_len);
            let (result, nin, nout, nend) = self.reader.read_record(
                input,
                &mut self.out[base_out..],
                &mut self.ends[base_ends..],
            );
            input = &input[nin..];
            // The core counts a record's ends from the record's start, across calls.
            self.out_len += nout;
            self.ends_len += nend;
            match result {
                ReadRecordResult::InputEmpty => {
                    // The core answers an empty input (the end) with the last record and
                    // `End`; this is only a guard against looping on it.
                    self.ended = at_end;
                    return Ok(());
                }
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= MAX_RECORD_BYTES {
                        return Err(CsvError::RecordTooLong(self.records + 1).into());
                    }
                    let grown = (self.out.len() * 2).min(MAX_RECORD_BYTES);
                    self.out.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_CELLS {
                        return Err(CsvError::TooManyCells(self.records + 1).into());
                    }
                    let grown = (self.ends.len() * 2).min(MAX_CELLS);
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => {
                    self.records += 1;
                    let cells = self.cells()?;
                    self.out_len = 0;
                    self.ends_len = 0;
                    each(self.records, cells)?;
                }
                ReadRecordResult::End => {
                    self.ended = true;
                    return Ok(());
                }
            }
        }
    }

    fn cells(&self) -> Result<Vec<String>, CsvError> {
        let n = self.records;
        let mut start = 0;
        let mut cells = Vec::with_capacity(self.ends_len);
        for &end in &self.ends[..self.ends_len] {
            let bytes = &self.out[start..end];
            if bytes.contains(&0) {
                return Err(CsvError::Nul(n));
            }
            let text = std::str::from_utf8(bytes).map_err(|_| CsvError::NotUtf8(n))?;
            cells.push(text.to_string());
            start = end;
        }
        // A spreadsheet's UTF-8 export starts with a byte order mark: not part of the header.
        if n == 1
            && let Some(first) = cells.first_mut()
            && let Some(rest) = first.strip_prefix('\u{feff}')
        {
            *first = rest.to_string();
        }
        Ok(cells)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_in_chunks(data: &[u8], size: usize) -> Result<Vec<Vec<String>>, CsvError> {
        let mut r = CsvRecords::new();
        let mut out = Vec::new();
        for chunk in data.chunks(size) {
            r.feed::<CsvError>(chunk, |_, c| {
                out.push(c);
                Ok(())
            })?;
        }
        r.feed::<CsvError>(&[], |_, c| {
            out.push(c);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn records_are_the_same_whatever_the_chunks() {
        let data = "\u{feff}name,email\r\n\"Ann, \"\"A\"\"\",a@x.io\n\nBob,\"multi\nline\"\nCé,é";
        let want = vec![
            vec!["name", "email"],
            vec!["Ann, \"A\"", "a@x.io"],
            vec!["Bob", "multi\nline"],
            vec!["Cé", "é"],
        ];
        for size in [1, 2, 3, 7, 1000] {
            assert_eq!(
                read_in_chunks(data.as_bytes(), size).unwrap(),
                want,
                "{size}"
            );
        }
    }

    #[test]
    fn long_records_grow_the_buffers() {
        let cells: Vec<String> = (0..300).map(|i| format!("cell{i}").repeat(30)).collect();
        let line = cells.join(",");
        let got = read_in_chunks(line.as_bytes(), 100).unwrap();
        assert_eq!(got, vec![cells]);
    }

    #[test]
    fn bytes_that_are_not_text_are_refused_with_their_record() {
        assert_eq!(
            read_in_chunks(b"a,b\n\xff\xfe,x\n", 3),
            Err(CsvError::NotUtf8(2))
        );
        assert_eq!(read_in_chunks(b"a\nb\nc\0\n", 2), Err(CsvError::Nul(3)));
        let wide = vec!["x"; MAX_CELLS + 1].join(",");
        assert_eq!(
            read_in_chunks(wide.as_bytes(), 64),
            Err(CsvError::TooManyCells(1))
        );
    }
}
