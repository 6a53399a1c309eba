// Deterministic test corpus for tokenizer parity and benchmarks: prose, code, numbers and digit
// runs, whitespace runs (tabs, newlines, CRLF, every Unicode White_Space character), CJK,
// Arabic and other scripts, emoji with ZWJ sequences, combining marks (including text that NFC
// changes), special-token look-alikes, very long words, and random code points.
'use strict';

function rng(seed) {
  // xorshift32: deterministic across runs and platforms.
  let x = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
  const r = {
    u32: next,
    int: (n) => next() % n,
    range: (a, b) => a + (next() % (b - a + 1)),
    pick: (arr) => arr[next() % arr.length],
    chance: (p) => next() / 4294967296 < p,
  };
  return r;
}

const cp = (c) => String.fromCodePoint(c);

const WORDS = ('the of and to in is was he for it with as his on be at by had are but from or ' +
  'have an they which one you were her all she there would their we him been has when who will ' +
  'more no if out so said what up its about into than them can only other new some could time ' +
  'these two may then do first any my now such like our over man me even most made after also ' +
  'did many before must through back years where much your way well down should because each ' +
  'just those people how too little state good very make world still own see men work long get ' +
  'here between both life being under never day same another know while last might us great old ' +
  'year off come since against go came right used take three tokenizer diffusion language model ' +
  'attention cache eviction llama qwen dream llada transformer gradient Hello World OpenAI GPU ' +
  'naïve café résumé coöperate façade jalapeño Zürich São Paulo Kraków Ångström').split(' ');

const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL",
  "'D", "'M", "\u2019s", "'\u017F", "'x", "''", "'"];
const PUNCT = ['.', ',', '!', '?', ';', ':', '...', '\u2014', '\u2013', '-', '(', ')', '"', '\u201C',
  '\u201D', '\u00AB', '\u00BB', '\u3002', '\uFF0C', '!?', '?!', '*', '#', '@', '&', '%', '$', '\u20AC',
  '\u00A3', '\u00A5', '/', '\\', '|', '~', '`', '^', '_', '+', '=', '<', '>', '[', ']', '{', '}'];
const WS_CHARS = [' ', '\t', '\n', '\r', '\r\n', '\u000B', '\u000C', '\u0085', '\u00A0', '\u1680',
  '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009',
  '\u200A', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000', '\u001C', '\u001D', '\u001E', '\u001F',
  '\u200B', '\uFEFF', '\u180E', '\u200C', '\u200D', '\u0000', '\u0001', '\u007F'];
const SPECIALS = ['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<|begin_of_text|>', '<|end_of_text|>',
  '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>', '<think>', '</think>', '<tool_call>',
  '<|reserved_special_token_5|>', '<|reserved_special_token_250|>', '<|fim_prefix|>', '<|vision_pad|>',
  '<|startoftext|>', '<s>', '</s>', '<unk>', '[CLS]', '[SEP]', '<|mask|>', '<|mdm_mask|>'];
const LOOKALIKES = ['<|im_start|', '|im_start|>', '<|im_start |>', '<| im_end|>', '<|IM_START|>',
  '<|endoftext', '<<|im_end|>>', '<|<|eot_id|>|>', '< think>', '<think', 'think>', '<|begin_of_text|',
  '<|reserved_special_token_|>', '<|reserved_special_token_999|>', '<|eot_id|><|eot_id|>', '<||>',
  '<|', '|>', '<||im_start||>', '\uFF1C|im_start|\uFF1E'];

const CJK = '的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从' +
  '日本語のテキストをトークン化するひらがなカタカナ東京大阪京都漢字한국어텍스트토큰화서울부산안녕하세요감사합니다';
const SCRIPTS = [
  'مرحبا بالعالم هذا نص عربي للاختبار مع التشكيل: مُحَمَّد، وَالْقُرْآن ١٢٣٤٥٦٧٨٩٠',
  'שלום עולם זהו טקסט בעברית עם ניקוד: בְּרֵאשִׁית',
  'नमस्ते दुनिया यह हिंदी पाठ है क्षत्रिय ज्ञान १२३४',
  'สวัสดีชาวโลก นี่คือข้อความภาษาไทย',
  'Привет мир это русский текст Ёжик в тумане',
  'Γειά σου κόσμε ελληνικό κείμενο ΆΈΉ',
  'Բարեւ աշխարհ', 'გამარჯობა მსოფლიო', 'ሰላም ዓለም', 'Xin chào thế giới Tiếng Việt có dấu',
  'Tôi yêu Hà Nội', 'ᚠᛇᚻ᛫ᛒᛦᚦ', 'ཀུན་ཏུ་བཟང་པོ', 'ꦲꦏ꧀ꦱꦫꦗꦮ', 'ܫܠܡܐ', 'ހެލޯ',
];
const EMOJI = ['😀', '😂', '🥲', '👍', '👍🏽', '❤️', '✨', '🚀', '🇫🇷', '🇯🇵', '🏳️‍🌈', '👨‍👩‍👧‍👦',
  '👩🏽‍💻', '🧑‍🤝‍🧑', '🤷‍♂️', '1️⃣', '#️⃣', '©️', '™', '🫠', '🪿', '👁️‍🗨️', '🐈‍⬛', '❤️‍🔥',
  '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}'];
const COMBINING = [];
for (let c = 0x300; c <= 0x36F; ++c) COMBINING.push(cp(c));
COMBINING.push('\u0483', '\u0591', '\u05B0', '\u0610', '\u064B', '\u0651', '\u0670', '\u093C', '\u094D',
  '\u0E31', '\u0E48', '\u1AB0', '\u1DC0', '\u20D0', '\u20E3', '\uFE20', '\u302A', '\u3099', '\u309A',
  '\u{1D165}', '\u{1D167}', '\u{E0100}', '\uFE0F', '\uFE0E');
const NFC_CASES = ['e\u0301', 'A\u030A', '\u212B', '\u2126', 'a\u0323\u0307', 'a\u0307\u0323',
  '\u1100\u1161', '\u1100\u1161\u11A8', '\uAC00\u11A8', 'o\u0308\u0304', '\u0344', '\u0958',
  '\u0F73', 'i\u0307', 'c\u0327\u0301', 'Q\u0307', '\u00C5\u0301', 'e\u0301\u0301', '\u0301e',
  '\u05D0\u05B7', 'ñ', 'n\u0303', '\u30AB\u3099', '\u304B\u3099', '\uFB2C', '\u1E9B\u0323',
  '\u{1D15E}', '\u{110AB}', '\u{11099}\u{110BA}', '\u0CBF\u0CD5', '\u0B47\u0B3E', 'ḍ̇', 'ǭ'];

function word(r) {
  let w = r.pick(WORDS);
  if (r.chance(0.1)) w = w[0].toUpperCase() + w.slice(1);
  if (r.chance(0.03)) w = w.toUpperCase();
  if (r.chance(0.08)) w += r.pick(CONTRACTIONS);
  return w;
}

function prose(r) {
  const n = r.range(1, 40);
  let s = '';
  for (let i = 0; i < n; ++i) {
    if (i) s += r.chance(0.95) ? ' ' : r.pick(['  ', '\n', '\t', ' \n', '\n\n']);
    s += word(r);
    if (r.chance(0.12)) s += r.pick(PUNCT);
  }
  if (r.chance(0.5)) s += r.pick(['.', '!', '?', '\n', '.\n', ' ', '']);
  return s;
}

const CODE = [
  'def f(x):\n    return x * 2\n', 'for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n',
  'const x = {a: 1, "b": [2, 3]};', '#include <stdio.h>\nint main(void) { printf("hi\\n"); }\r\n',
  'if (a && b || !c) { x->y = z; }', 'SELECT * FROM users WHERE id = 42;',
  '    if x:\n        pass\n    else:\n        raise ValueError("bad")\n',
  'fn main() -> Result<(), Box<dyn Error>> { Ok(()) }', '<div class="x">&nbsp;&lt;tag&gt;</div>',
  'x = [i**2 for i in range(10) if i % 2 == 0]  # squares', 'a<<=2; b>>>=1; c ^= d | ~e;',
  '$ ls -la | grep "\\.cpp$" > out.txt 2>&1', '{"key": "value", "n": 3.14e-10, "ok": true}',
  '// comment\n/* block\n   comment */\n', 'std::vector<std::pair<int,int>> v{{1,2},{3,4}};',
  'lambda: None', '@decorator\nclass A(B, metaclass=M): ...', 'https://example.com/a/b?c=d&e=f#g',
  'user@example.org', 'C:\\Users\\name\\file.txt', '0x7fffffff 0b1010 1e9 1_000_000 3.14159',
];

function code(r) {
  const n = r.range(1, 6);
  let s = '';
  for (let i = 0; i < n; ++i) {
    let c = r.pick(CODE);
    if (r.chance(0.3)) c = c.replace(/ {4}/g, '\t');
    if (r.chance(0.2)) c = c.replace(/\n/g, '\r\n');
    s += c;
    if (r.chance(0.3)) s += ' '.repeat(r.range(1, 12));
  }
  return s;
}

function digits(r, n) {
  let s = '';
  for (let i = 0; i < n; ++i) s += String(r.int(10));
  return s;
}

function numbers(r) {
  const k = r.int(12);
  switch (k) {
    case 0: return digits(r, r.range(1, 60));
    case 1: return digits(r, r.range(1, 4)) + '.' + digits(r, r.range(1, 8));
    case 2: return [1, 2, 3].map(() => digits(r, 3)).join(',');
    case 3: return '+1 (' + digits(r, 3) + ') ' + digits(r, 3) + '-' + digits(r, 4);
    case 4: return '20' + digits(r, 2) + '-' + digits(r, 2) + '-' + digits(r, 2) + 'T12:34:56Z';
    case 5: return ' ' + digits(r, r.range(1, 12)) + ' ' + digits(r, r.range(1, 12));
    case 6: return '\uFF11\uFF12\uFF13' + '\u0661\u0662\u0663' + '\u0967\u0968' + '\u2160\u2161\u00BD\u00B2';
    case 7: return '$' + digits(r, r.range(1, 7)) + '.99 and ' + digits(r, 2) + '%';
    case 8: return 'v' + r.range(0, 20) + '.' + r.range(0, 99) + '.' + r.range(0, 999) + '-rc' + r.int(5);
    case 9: return digits(r, r.range(100, 400));
    case 10: return '-' + digits(r, 5) + 'e-' + digits(r, 2) + ' ' + '1'.repeat(r.range(1, 20));
    default: return 'abc' + digits(r, r.range(1, 9)) + 'def' + digits(r, r.range(1, 9));
  }
}

function whitespace(r) {
  let s = r.chance(0.5) ? word(r) : '';
  const n = r.range(1, 8);
  for (let i = 0; i < n; ++i) {
    const w = r.pick(WS_CHARS);
    s += w.repeat(r.range(1, r.chance(0.1) ? 200 : 6));
    if (r.chance(0.6)) s += r.chance(0.7) ? word(r) : r.pick(PUNCT);
  }
  return s;
}

function cjk(r) {
  let s = '';
  const n = r.range(1, 60);
  for (let i = 0; i < n; ++i) {
    const chars = Array.from(CJK);
    s += chars[r.int(chars.length)];
    if (r.chance(0.05)) s += r.pick(['，', '。', '、', '！', '？', ' ', '\n', '「', '」', '（', '）']);
    if (r.chance(0.03)) s += word(r);
  }
  return s;
}

function script(r) {
  const t = r.pick(SCRIPTS);
  const chars = Array.from(t);
  const a = r.int(chars.length), b = Math.min(chars.length, a + r.range(1, 60));
  let s = chars.slice(a, b).join('');
  if (r.chance(0.3)) s = word(r) + ' ' + s;
  if (r.chance(0.3)) s += ' ' + numbers(r);
  return s;
}

function emoji(r) {
  let s = '';
  const n = r.range(1, 12);
  for (let i = 0; i < n; ++i) {
    s += r.pick(EMOJI);
    if (r.chance(0.3)) s += r.chance(0.5) ? ' ' : word(r);
    if (r.chance(0.1)) s += '\u200D';
  }
  return s;
}

function combining(r) {
  let s = '';
  const n = r.range(1, 10);
  for (let i = 0; i < n; ++i) {
    if (r.chance(0.5)) {
      s += r.pick(NFC_CASES);
    } else {
      s += r.chance(0.8) ? r.pick('aeiouAEIOUnNcCsSzZyY'.split('')) : r.pick(['\u05D0', '\u0915', '\u0627', '\u3042', ' ', '']);
      const m = r.range(1, 4);
      for (let k = 0; k < m; ++k) s += r.pick(COMBINING);
    }
    if (r.chance(0.3)) s += ' ';
    if (r.chance(0.2)) s += word(r);
  }
  return s;
}

function specials(r) {
  let s = '';
  const n = r.range(1, 8);
  for (let i = 0; i < n; ++i) {
    const k = r.int(5);
    if (k === 0) s += r.pick(SPECIALS);
    else if (k === 1) s += r.pick(LOOKALIKES);
    else if (k === 2) s += word(r);
    else if (k === 3) s += r.pick([' ', '\n', '  ', '\t', '']);
    else s += r.pick(SPECIALS).slice(0, r.range(1, 8));
  }
  return s;
}

function longword(r) {
  const k = r.int(9);
  const len = r.range(200, 3000);
  switch (k) {
    case 0: return 'a'.repeat(len);
    case 1: { let s = ''; while (s.length < len) s += r.pick(WORDS).replace(/[^a-z]/g, ''); return s; }
    case 2: { const b = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'; let s = ''; for (let i = 0; i < len; ++i) s += b[r.int(64)]; return s; }
    case 3: return 'https://example.com/' + 'path/'.repeat(len / 5 | 0) + '?q=' + digits(r, 50);
    case 4: { const c = Array.from(CJK); let s = ''; for (let i = 0; i < len / 2; ++i) s += c[r.int(c.length)]; return s; }
    case 5: return '-'.repeat(len) + '=' .repeat(r.range(1, 100));
    case 6: return ' '.repeat(len) + 'x';
    case 7: return 'ab'.repeat(len / 2 | 0) + 'Ġ' + 'ĊĠ'.repeat(20);
    default: return '\n'.repeat(r.range(2, 300)) + ' \t'.repeat(r.range(2, 300)) + '\r\n'.repeat(r.range(2, 100));
  }
}

const RANGES = [[0x20, 0x7E], [0xA0, 0x24F], [0x250, 0x2FF], [0x300, 0x36F], [0x370, 0x3FF],
  [0x400, 0x52F], [0x530, 0x5FF], [0x600, 0x6FF], [0x900, 0x97F], [0xE00, 0xE7F], [0x1100, 0x11FF],
  [0x1E00, 0x1FFF], [0x2000, 0x206F], [0x2070, 0x209F], [0x20A0, 0x20CF], [0x2100, 0x214F],
  [0x2190, 0x23FF], [0x2460, 0x24FF], [0x2500, 0x27BF], [0x3000, 0x30FF], [0x3400, 0x4DBF],
  [0x4E00, 0x9FFF], [0xAC00, 0xD7A3], [0xF900, 0xFAFF], [0xFB00, 0xFDFF], [0xFE00, 0xFE6F],
  [0xFF00, 0xFFEF], [0x10000, 0x1007F], [0x1D400, 0x1D7FF], [0x1F300, 0x1FAFF], [0x20000, 0x2A6DF],
  [0xE0000, 0xE007F]];

function randomCodepoints(r) {
  let s = '';
  const n = r.range(1, 40);
  for (let i = 0; i < n; ++i) {
    const [a, b] = r.pick(RANGES);
    const c = r.range(a, b);
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    s += cp(c);
  }
  return s;
}

const KINDS = [prose, prose, prose, code, code, numbers, whitespace, cjk, script, emoji, combining,
  specials, randomCodepoints];

function mixed(r) {
  let s = '';
  const n = r.range(2, 6);
  for (let i = 0; i < n; ++i) s += r.pick(KINDS)(r) + r.pick(['', ' ', '\n', '\r\n', '\t']);
  return s;
}

// n strings; every category is present (long words are rarer: they are slow for both sides).
function generate(seed, n) {
  const r = rng(seed);
  const out = ['', ' ', '\n', 'a', '\r\n', '  ', '\u0085', '\u00A0', '<|im_start|>', '<|begin_of_text|>',
    'e\u0301', '\u212B', "don't", "DON'T", "it'\u017F", '12345678901234567890', '\uFEFF', '\u200D',
    ' <|im_end|> ', 'x<|endoftext|>y', '<think>\n</think>', '\u3000\u3000', '\t\t\n\n'];
  const all = [...KINDS, mixed, mixed];
  while (out.length < n) {
    if (r.chance(0.01)) out.push(longword(r));
    else out.push(r.pick(all)(r));
  }
  return out;
}

// About `bytes` of mixed text, as documents of a few KB, for the benchmark.
function benchDocuments(seed, bytes) {
  const r = rng(seed);
  const docs = [];
  let total = 0;
  while (total < bytes) {
    let d = '';
    while (Buffer.byteLength(d) < 4096) {
      const k = r.int(100);
      if (k < 55) d += prose(r) + ' ';
      else if (k < 70) d += code(r);
      else if (k < 77) d += numbers(r) + ' ';
      else if (k < 85) d += cjk(r);
      else if (k < 90) d += script(r) + '\n';
      else if (k < 93) d += emoji(r) + ' ';
      else if (k < 96) d += combining(r) + ' ';
      else d += whitespace(r);
    }
    docs.push(d);
    total += Buffer.byteLength(d);
  }
  return docs;
}

module.exports = { generate, benchDocuments, rng };
