//! Source files and the map from preprocessed text back to the original files.
//!
//! Every [`Span`] in the AST and in diagnostics points into an *original* file (never into the
//! preprocessed buffer), so a diagnostic can always show the user's own text. The preprocessor
//! builds the [`SourceMap`]: the files it read and, for the one buffer it produced, a list of
//! [`Segment`]s saying which file (and where in it) each stretch of the buffer came from.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one original file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` in `file`.
    pub fn new(file: FileId, start: u32, end: u32) -> Span {
        Span { file, start, end }
    }

    /// The smallest span covering both (in `self`'s file when they differ).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One file that the preprocessor read.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user or the include directive spelled it (used in messages).
    pub name: String,
    /// The canonical absolute path (used for `#pragma once` and `--depend`).
    pub path: PathBuf,
    /// The file's text (lossily decoded when it is not UTF-8; the BOM is kept).
    pub text: String,
    line_starts: Vec<u32>,
    /// `#line` directives: from this offset on, lines are numbered from `line` (and the
    /// file is called `name` when given). Sorted by offset.
    line_directives: Vec<(u32, u32, Option<String>)>,
}

impl SourceFile {
    /// Creates a source file and indexes its line starts.
    pub fn new(name: String, path: PathBuf, text: String) -> SourceFile {
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        SourceFile {
            name,
            path,
            text,
            line_starts,
            line_directives: Vec::new(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() as u32 + 1;
        (line as u32 + 1, col)
    }

    /// Byte offsets where each line starts.
    pub fn line_starts(&self) -> &[u32] {
        &self.line_starts
    }

    /// The line number and file name a diagnostic at `offset` reports: the physical line,
    /// unless a `#line` directive above renumbered it.
    pub fn presumed_line(&self, offset: u32) -> (&str, u32) {
        let (line, _) = self.line_col(offset);
        match self.line_directives.iter().rev().find(|d| d.0 <= offset) {
            Some((from, new_line, name)) => {
                let (from_line, _) = self.line_col(*from);
                let name = name.as_deref().unwrap_or(&self.name);
                // Never 0, whatever the directive said: line numbers start at 1.
                (name, new_line.saturating_add(line - from_line).max(1))
            }
            None => (&self.name, line),
        }
    }
}

/// A stretch of the preprocessed buffer copied from one file.
///
/// Bytes `pp_start .. next segment's pp_start` of the buffer are bytes
/// `file_start ..` of `file`, one for one when `exact` is true. When `exact` is false (text
/// produced by macro expansion) every byte of the stretch maps to `file_start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Where the stretch starts in the preprocessed buffer.
    pub pp_start: u32,
    /// The file it came from.
    pub file: FileId,
    /// Where it starts in that file.
    pub file_start: u32,
    /// Whether bytes map one for one.
    pub exact: bool,
    /// Include depth of `file` at this point (0 = the file being compiled).
    pub level: u32,
}

/// All files read for one compilation, and the segments of its preprocessed buffer.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    segments: Vec<Segment>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add_file(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with this id.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files, in the order they were added.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Finds a file that was already added, by canonical path.
    pub fn find_path(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }

    /// Appends a segment; segments must be pushed in increasing `pp_start` order. A segment
    /// starting where the previous one starts replaces it.
    pub fn push_segment(&mut self, seg: Segment) {
        if let Some(last) = self.segments.last_mut() {
            if last.pp_start == seg.pp_start {
                *last = seg;
                return;
            }
        }
        self.segments.push(seg);
    }

    /// The segments, in buffer order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    fn segment_at(&self, pp_offset: u32) -> Option<&Segment> {
        let i = match self
            .segments
            .binary_search_by(|s| s.pp_start.cmp(&pp_offset))
        {
            Ok(i) => i,
            Err(0) => return None,
            Err(i) => i - 1,
        };
        self.segments.get(i)
    }

    /// Maps an offset of the preprocessed buffer to (file, offset in file).
    pub fn pp_to_file(&self, pp_offset: u32) -> Option<(FileId, u32)> {
        let s = self.segment_at(pp_offset)?;
        let off = if s.exact {
            s.file_start + (pp_offset - s.pp_start)
        } else {
            s.file_start
        };
        let len = self.file(s.file).text.len() as u32;
        Some((s.file, off.min(len)))
    }

    /// Include level of the text at a preprocessed offset (0 = the compiled file).
    pub fn pp_level(&self, pp_offset: u32) -> u32 {
        self.segment_at(pp_offset).map_or(0, |s| s.level)
    }

    /// Maps a range of the preprocessed buffer to a span in an original file. When the range
    /// crosses into another file, the span ends at the end of the start's segment.
    pub fn pp_span(&self, pp_start: u32, pp_end: u32) -> Span {
        let (file, start) = self.pp_to_file(pp_start).unwrap_or((FileId(0), 0));
        let end = match self.pp_to_file(pp_end.max(pp_start)) {
            Some((f, e)) if f == file && e >= start => e,
            _ => start,
        };
        Span { file, start, end }
    }

    /// Records a `#line` directive of `file`: from byte `offset` on, lines are numbered from
    /// `line`. Recording the same offset twice (a file included twice) has no effect.
    pub fn add_line_directive(
        &mut self,
        file: FileId,
        offset: u32,
        line: u32,
        name: Option<String>,
    ) {
        if let Some(f) = self.files.get_mut(file.0 as usize) {
            if !f.line_directives.iter().any(|d| d.0 == offset) {
                f.line_directives.push((offset, line, name));
                f.line_directives.sort_by_key(|d| d.0);
            }
        }
    }

    /// Where a span's start first appears in the preprocessed buffer, if it does (used to
    /// put diagnostics of different phases in source order). For many queries, build a
    /// [`PpIndex`] once instead.
    pub fn pp_offset(&self, span: Span) -> Option<u32> {
        PpIndex::new(self).pp_offset(span)
    }

    /// 1-based line and column of the start of a span.
    pub fn line_col(&self, span: Span) -> (u32, u32) {
        self.file(span.file).line_col(span.start)
    }
}

/// A lookup table from original-file positions to preprocessed-buffer positions: the
/// segments sorted by file and start, for [`SourceMap::pp_offset`]-like queries in
/// logarithmic time.
#[derive(Clone, Debug)]
pub struct PpIndex {
    /// (file, file_start, pp_start, length in the buffer, exact), sorted.
    entries: Vec<(FileId, u32, u32, u32, bool)>,
}

impl PpIndex {
    /// Indexes the segments of `sources`.
    pub fn new(sources: &SourceMap) -> PpIndex {
        let segs = sources.segments();
        let mut entries: Vec<(FileId, u32, u32, u32, bool)> = segs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let len = segs
                    .get(i + 1)
                    .map_or(u32::MAX - s.pp_start, |n| n.pp_start - s.pp_start);
                (s.file, s.file_start, s.pp_start, len, s.exact)
            })
            .collect();
        entries.sort_by_key(|e| (e.0, e.1, e.2));
        PpIndex { entries }
    }

    /// Where a span's start appears in the preprocessed buffer (the earliest place among the
    /// nearest segments when a file was included more than once).
    pub fn pp_offset(&self, span: Span) -> Option<u32> {
        let end = self
            .entries
            .partition_point(|e| (e.0, e.1) <= (span.file, span.start));
        // Segments of the same file that start at or before the position, nearest first; a
        // few are enough (several only when the file was included several times).
        self.entries[..end]
            .iter()
            .rev()
            .take_while(|e| e.0 == span.file)
            .take(16)
            .filter_map(|&(_, file_start, pp_start, len, exact)| {
                let delta = span.start - file_start;
                if exact && delta < len {
                    Some(pp_start + delta)
                } else if !exact && delta == 0 {
                    Some(pp_start)
                } else {
                    None
                }
            })
            .min()
    }
}
