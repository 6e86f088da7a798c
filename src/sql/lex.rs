//! SQL tokenizer shared by the splitter, the placeholder rewriter, the heuristic fallback and
//! the log fingerprint. Input: SQL text as bytes. Output: an iterator of tokens with byte
//! ranges into the input, never allocating. It only knows where strings, comments, quoted
//! identifiers, words, numbers and placeholders begin and end; meaning is left to callers.
//!
//! Every token boundary falls on an ASCII byte or on the end of the input, so slicing the
//! input at token boundaries is always valid UTF-8.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Space,
    /// `-- …`, `/* … */`, or `# …` (MySQL).
    Comment,
    /// `'…'`, `E'…'`, `X'…'`, `B'…'`, `N'…'`, and `"…"` in MySQL.
    Str,
    /// `$$…$$` or `$tag$…$tag$`.
    Dollar,
    /// `"…"`, `` `…` ``.
    QuotedIdent,
    /// Identifier or keyword.
    Word,
    Number,
    /// `?`, `?1`, `$1`, `%s`, `%(name)s`, `:name`, `${expr}`.
    Placeholder,
    Semicolon,
    /// Any other byte (operators, parentheses, commas, dots…).
    Punct,
}

/// A token: its kind and its byte range in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

/// Lexical differences between dialects that change where tokens end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexOptions {
    /// `#` starts a comment (MySQL).
    pub hash_comments: bool,
    /// A backslash escapes the next character inside `'…'` (MySQL).
    pub backslash_escapes: bool,
    /// `"…"` is a string, not an identifier (MySQL without ANSI_QUOTES).
    pub dquote_strings: bool,
    /// `$tag$…$tag$` strings (PostgreSQL; MySQL has none).
    pub dollar_quotes: bool,
    /// `/* /* */ */` nests (PostgreSQL).
    pub nested_comments: bool,
}

impl LexOptions {
    pub const POSTGRES: LexOptions = LexOptions {
        hash_comments: false,
        backslash_escapes: false,
        dquote_strings: false,
        dollar_quotes: true,
        nested_comments: true,
    };
    pub const MYSQL: LexOptions = LexOptions {
        hash_comments: true,
        backslash_escapes: true,
        dquote_strings: true,
        dollar_quotes: false,
        nested_comments: false,
    };
    /// Generic and SQLite: PostgreSQL's rules without nesting, which is what both accept.
    pub const GENERIC: LexOptions = LexOptions {
        hash_comments: false,
        backslash_escapes: false,
        dquote_strings: false,
        dollar_quotes: true,
        nested_comments: false,
    };
}

/// Byte classes, looked up once per byte in the hot loops.
const WORD_START: u8 = 1;
const WORD: u8 = 2;
const SPACE: u8 = 4;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            t[i] |= WORD_START | WORD;
        }
        if b.is_ascii_digit() || b == b'$' {
            t[i] |= WORD;
        }
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            t[i] |= SPACE;
        }
        i += 1;
    }
    t
};

pub fn is_word_start(b: u8) -> bool {
    CLASS[b as usize] & WORD_START != 0
}

pub fn is_word_byte(b: u8) -> bool {
    CLASS[b as usize] & WORD != 0
}

fn is_space(b: u8) -> bool {
    CLASS[b as usize] & SPACE != 0
}

/// Iterator over the tokens of `src`.
#[derive(Clone)]
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    opts: LexOptions,
    /// Do not return whitespace tokens (callers that only want the words save a step per
    /// token).
    skip_space: bool,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str, opts: LexOptions) -> Lexer<'a> {
        Lexer {
            src: src.as_bytes(),
            pos: 0,
            opts,
            skip_space: false,
        }
    }

    /// Like `new`, without whitespace tokens.
    pub fn without_spaces(src: &'a str, opts: LexOptions) -> Lexer<'a> {
        Lexer {
            skip_space: true,
            ..Lexer::new(src, opts)
        }
    }

    /// The byte offset of the next token.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Continue at `pos`, which must be a token boundary (or a char boundary outside any
    /// string or comment).
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.src.len());
    }

    /// The next significant token, without consuming anything.
    pub fn peek_significant(&self) -> Option<Token> {
        self.clone().find(significant)
    }

    fn peek(&self, off: usize) -> u8 {
        self.src.get(self.pos + off).copied().unwrap_or(0)
    }

    /// End of a quoted run opened at `self.pos` by `q`; doubling `q` escapes it.
    fn quoted_end(&self, q: u8, backslash: bool) -> usize {
        let s = self.src;
        let mut i = self.pos + 1;
        while i < s.len() {
            let b = s[i];
            if backslash && b == b'\\' {
                i += 2;
                continue;
            }
            if b == q {
                if s.get(i + 1) == Some(&q) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i += 1;
        }
        s.len()
    }

    fn block_comment_end(&self) -> usize {
        let s = self.src;
        let mut depth = 0usize;
        let mut i = self.pos;
        while i + 1 < s.len() {
            if s[i] == b'/' && s[i + 1] == b'*' {
                depth += 1;
                i += 2;
                continue;
            }
            if s[i] == b'*' && s[i + 1] == b'/' {
                depth -= 1;
                i += 2;
                if depth == 0 || !self.opts.nested_comments {
                    return i;
                }
                continue;
            }
            i += 1;
        }
        s.len()
    }

    /// `$tag$` opener at `self.pos`: the length of the tag including both `$`.
    fn dollar_tag_len(&self) -> Option<usize> {
        let s = self.src;
        let mut i = self.pos + 1;
        if i < s.len() && s[i] != b'$' && !(is_word_start(s[i])) {
            return None;
        }
        while i < s.len() && s[i] != b'$' {
            if !is_word_byte(s[i]) || s[i] == b'$' {
                return None;
            }
            i += 1;
        }
        (i < s.len()).then_some(i + 1 - self.pos)
    }

    fn word_end(&self, from: usize) -> usize {
        let s = self.src;
        let mut i = from;
        while i < s.len() && is_word_byte(s[i]) {
            i += 1;
        }
        i
    }

    fn number_end(&self) -> usize {
        let s = self.src;
        let mut i = self.pos;
        if s[i] == b'0' && matches!(s.get(i + 1), Some(b'x' | b'X')) {
            i += 2;
            while i < s.len() && s[i].is_ascii_hexdigit() {
                i += 1;
            }
            return i;
        }
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if i < s.len() && s[i] == b'.' && s.get(i + 1) != Some(&b'.') {
            i += 1;
            while i < s.len() && s[i].is_ascii_digit() {
                i += 1;
            }
        }
        if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
            let mut j = i + 1;
            if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
                j += 1;
            }
            if j < s.len() && s[j].is_ascii_digit() {
                i = j;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
        i
    }

    fn next_end(&self) -> (Tok, usize) {
        let s = self.src;
        let p = self.pos;
        let b = s[p];
        let n1 = self.peek(1);
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                let mut i = p + 1;
                while i < s.len() && is_space(s[i]) {
                    i += 1;
                }
                (Tok::Space, i)
            }
            b'-' if n1 == b'-' => (Tok::Comment, line_end(s, p)),
            b'#' if self.opts.hash_comments => (Tok::Comment, line_end(s, p)),
            // A MySQL script scanned with another dialect: `#` opening a line is a comment
            // (PostgreSQL's `#` operators never start a line).
            b'#' if n1 != b'>' && n1 != b'-' && at_line_start(s, p) => {
                (Tok::Comment, line_end(s, p))
            }
            b'/' if n1 == b'*' => (Tok::Comment, self.block_comment_end()),
            b'\'' => (
                Tok::Str,
                self.quoted_end(b'\'', self.opts.backslash_escapes),
            ),
            b'"' if self.opts.dquote_strings => {
                (Tok::Str, self.quoted_end(b'"', self.opts.backslash_escapes))
            }
            b'"' => (Tok::QuotedIdent, self.quoted_end(b'"', false)),
            b'`' => (Tok::QuotedIdent, self.quoted_end(b'`', false)),
            b';' => (Tok::Semicolon, p + 1),
            b'$' if n1.is_ascii_digit() => {
                let mut i = p + 1;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                (Tok::Placeholder, i)
            }
            b'$' if n1 == b'{' => {
                // A template interpolation left in the text (`${id}`).
                let close = memchr::memchr(b'}', &s[p..]).map_or(s.len(), |k| p + k + 1);
                (Tok::Placeholder, close)
            }
            b'$' if self.opts.dollar_quotes => match self.dollar_tag_len() {
                Some(tag) => {
                    let open = &s[p..p + tag];
                    let body = p + tag;
                    let end =
                        memchr::memmem::find(&s[body..], open).map_or(s.len(), |k| body + k + tag);
                    (Tok::Dollar, end)
                }
                None => (Tok::Punct, p + 1),
            },
            b'?' => {
                let mut i = p + 1;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                (Tok::Placeholder, i)
            }
            b'%' if matches!(n1, b's' | b'd' | b'v' | b'b' | b'f')
                && !is_word_byte(self.peek(2)) =>
            {
                (Tok::Placeholder, p + 2)
            }
            b'%' if n1 == b'(' => {
                let close = memchr::memchr(b')', &s[p..]).map(|k| p + k);
                match close {
                    Some(c)
                        if s.get(c + 1) == Some(&b's')
                            && s[p + 2..c].iter().all(|&x| is_word_byte(x)) =>
                    {
                        (Tok::Placeholder, c + 2)
                    }
                    _ => (Tok::Punct, p + 1),
                }
            }
            b':' if n1 == b':' => (Tok::Punct, p + 2),
            b':' if is_word_start(n1) || n1.is_ascii_digit() => {
                (Tok::Placeholder, self.word_end(p + 1))
            }
            b'0'..=b'9' => (Tok::Number, self.number_end()),
            b'.' if n1.is_ascii_digit() => (Tok::Number, self.number_end_frac()),
            _ if is_word_start(b) => {
                let end = self.word_end(p);
                // E'..', X'..', B'..', N'..' string prefixes.
                if end == p + 1
                    && matches!(b | 0x20, b'e' | b'x' | b'b' | b'n')
                    && s.get(end) == Some(&b'\'')
                {
                    let escapes = b | 0x20 == b'e' || self.opts.backslash_escapes;
                    let lx = Lexer {
                        src: s,
                        pos: end,
                        opts: self.opts,
                        skip_space: false,
                    };
                    return (Tok::Str, lx.quoted_end(b'\'', escapes));
                }
                (Tok::Word, end)
            }
            _ => {
                // Keep multi-byte characters whole so every boundary stays a char boundary.
                let mut i = p + 1;
                while i < s.len() && (s[i] & 0xC0) == 0x80 {
                    i += 1;
                }
                (Tok::Punct, i)
            }
        }
    }

    fn number_end_frac(&self) -> usize {
        let s = self.src;
        let mut i = self.pos + 1;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        i
    }
}

fn at_line_start(s: &[u8], p: usize) -> bool {
    s[..p]
        .iter()
        .rev()
        .take_while(|&&b| b != b'\n')
        .all(|&b| b == b' ' || b == b'\t' || b == b'\r')
}

fn line_end(s: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &s[from..]).map_or(s.len(), |k| from + k)
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if self.skip_space {
            while self.pos < self.src.len() && is_space(self.src[self.pos]) {
                self.pos += 1;
            }
        }
        if self.pos >= self.src.len() {
            return None;
        }
        let start = self.pos;
        let (kind, end) = self.next_end();
        let end = end.clamp(start + 1, self.src.len());
        self.pos = end;
        Some(Token { kind, start, end })
    }
}

/// Whether the token is the word `kw` (ASCII case-insensitive).
pub fn is_kw(src: &str, t: &Token, kw: &str) -> bool {
    t.kind == Tok::Word && src[t.start..t.end].eq_ignore_ascii_case(kw)
}

/// Whether a token carries meaning (not blank, not a comment).
pub fn significant(t: &Token) -> bool {
    !matches!(t.kind, Tok::Space | Tok::Comment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str, o: LexOptions) -> Vec<(Tok, &str)> {
        Lexer::new(s, o)
            .filter(significant)
            .map(|t| (t.kind, &s[t.start..t.end]))
            .collect()
    }

    #[test]
    fn strings_comments_and_placeholders() {
        let s = "SELECT 'a;''b', E'x\\'y', $f$ ; $f$ FROM t -- c;\n WHERE a = $1 AND b = ? AND c = %s AND d = %(n)s AND e = :e AND f::int = 1.5e3";
        let got = kinds(s, LexOptions::POSTGRES);
        assert_eq!(got[1], (Tok::Str, "'a;''b'"));
        assert_eq!(got[3], (Tok::Str, "E'x\\'y'"));
        assert_eq!(got[5], (Tok::Dollar, "$f$ ; $f$"));
        let ph: Vec<&str> = got
            .iter()
            .filter(|t| t.0 == Tok::Placeholder)
            .map(|t| t.1)
            .collect();
        assert_eq!(ph, ["$1", "?", "%s", "%(n)s", ":e"]);
        assert_eq!(got.last(), Some(&(Tok::Number, "1.5e3")));
        assert!(!got.iter().any(|t| t.0 == Tok::Semicolon));
    }

    #[test]
    fn mysql_rules() {
        let s = "SELECT \"a\\\"b\", `t;` # x;\n;";
        let got = kinds(s, LexOptions::MYSQL);
        assert_eq!(got[1], (Tok::Str, "\"a\\\"b\""));
        assert_eq!(got[3], (Tok::QuotedIdent, "`t;`"));
        assert_eq!(got[4], (Tok::Semicolon, ";"));
        assert_eq!(got.len(), 5);
    }

    #[test]
    fn hash_comment_at_line_start_in_every_dialect() {
        let s = "# dump header; x\nSELECT a # b FROM t";
        let got = kinds(s, LexOptions::POSTGRES);
        assert_eq!(got[0], (Tok::Word, "SELECT"));
        assert!(got.contains(&(Tok::Punct, "#")));
    }

    #[test]
    fn nested_comment_and_unterminated_input() {
        let s = "/* a /* b */ c */ x '";
        let got = kinds(s, LexOptions::POSTGRES);
        assert_eq!(got, [(Tok::Word, "x"), (Tok::Str, "'")]);
    }
}
