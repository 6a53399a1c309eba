//! Safe Rust interface to maskkv, an inference engine for diffusion language models (LLaDA,
//! Dream) with MaskKV prompt K/V eviction, over its C ABI (`maskkv-sys`).
//!
//! ```no_run
//! use maskkv::{GenerateOptions, Model};
//!
//! let model = Model::load("path/to/model")?;
//! let options = GenerateOptions { gen_length: 32, block_length: 8, ..Default::default() };
//! let out = model.generate(&[1, 2, 3], &options)?;
//! println!("{:?} in {:.3} s", out.tokens, out.stats.seconds);
//!
//! // Pull-style streaming: each `next()` runs one denoising step.
//! for step in model.session(&[1, 2, 3], &options)? {
//!     let step = step?;
//!     println!("step {}: {} masks left", step.index, step.masks_left);
//! }
//! # Ok::<(), maskkv::Error>(())
//! ```
//!
//! Handles are freed when dropped. Thread safety follows the C ABI: a [`Model`] and a
//! [`Profile`] are `Send + Sync` (immutable, shareable); a [`Session`] is `Send` but not `Sync`
//! (one thread at a time), and its [`Canceller`] may be used from any thread. Every fallible
//! call returns `Result<T, maskkv::Error>`, which carries the C status and message.
//!
//! `Session` is not `Sync`:
//!
//! ```compile_fail
//! fn sync<T: Sync>() {}
//! sync::<maskkv::Session<'static>>();
//! ```
//!
//! nor is a `Calibrator`:
//!
//! ```compile_fail
//! fn sync<T: Sync>() {}
//! sync::<maskkv::Calibrator<'static>>();
//! ```

use std::ffi::{CStr, CString};
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::ptr::{self, NonNull};
use std::sync::Arc;

pub use maskkv_sys as sys;

// ------------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------------

/// The failure statuses of the C ABI (`MASKKV_ERR_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    InvalidArgument,
    Io,
    Format,
    Unsupported,
    OutOfRange,
    OutOfMemory,
    BufferTooSmall,
    Cancelled,
    NotFound,
    Internal,
    /// A status this version of the crate does not know (a newer library).
    Other(i32),
}

impl Status {
    pub fn from_code(code: i32) -> Status {
        match code as u32 {
            sys::MASKKV_ERR_INVALID_ARGUMENT => Status::InvalidArgument,
            sys::MASKKV_ERR_IO => Status::Io,
            sys::MASKKV_ERR_FORMAT => Status::Format,
            sys::MASKKV_ERR_UNSUPPORTED => Status::Unsupported,
            sys::MASKKV_ERR_OUT_OF_RANGE => Status::OutOfRange,
            sys::MASKKV_ERR_OUT_OF_MEMORY => Status::OutOfMemory,
            sys::MASKKV_ERR_BUFFER_TOO_SMALL => Status::BufferTooSmall,
            sys::MASKKV_ERR_CANCELLED => Status::Cancelled,
            sys::MASKKV_ERR_NOT_FOUND => Status::NotFound,
            sys::MASKKV_ERR_INTERNAL => Status::Internal,
            _ => Status::Other(code),
        }
    }

    /// The C value.
    pub fn code(self) -> i32 {
        (match self {
            Status::InvalidArgument => sys::MASKKV_ERR_INVALID_ARGUMENT,
            Status::Io => sys::MASKKV_ERR_IO,
            Status::Format => sys::MASKKV_ERR_FORMAT,
            Status::Unsupported => sys::MASKKV_ERR_UNSUPPORTED,
            Status::OutOfRange => sys::MASKKV_ERR_OUT_OF_RANGE,
            Status::OutOfMemory => sys::MASKKV_ERR_OUT_OF_MEMORY,
            Status::BufferTooSmall => sys::MASKKV_ERR_BUFFER_TOO_SMALL,
            Status::Cancelled => sys::MASKKV_ERR_CANCELLED,
            Status::NotFound => sys::MASKKV_ERR_NOT_FOUND,
            Status::Internal => sys::MASKKV_ERR_INTERNAL,
            Status::Other(c) => return c,
        }) as i32
    }

    /// "MASKKV_ERR_FORMAT", ... (`maskkv_status_name`).
    pub fn name(self) -> &'static str {
        // The library returns constant strings.
        unsafe { static_str(sys::maskkv_status_name(self.code())) }
    }
}

/// A failed maskkv call: the status and the library's message for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    pub fn status(&self) -> Status {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The last failure on this thread (`maskkv_last_error`), which the call just made set.
    fn last(code: i32) -> Error {
        let msg = unsafe { sys::maskkv_last_error() };
        let message = if msg.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned()
        };
        Error { status: Status::from_code(code), message }
    }

    fn invalid(message: impl Into<String>) -> Error {
        Error { status: Status::InvalidArgument, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.message, self.status.name())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

fn check(code: sys::maskkv_status) -> Result<()> {
    if code == sys::MASKKV_OK as i32 {
        Ok(())
    } else {
        Err(Error::last(code))
    }
}

unsafe fn static_str(p: *const std::os::raw::c_char) -> &'static str {
    if p.is_null() {
        ""
    } else {
        CStr::from_ptr(p).to_str().unwrap_or("")
    }
}

fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid(format!("{what}: contains a NUL byte")))
}

/// The C form of chat messages: the owned strings (keep them alive while the pointers are used)
/// and the `maskkv_chat_message` array pointing into them.
fn c_messages(messages: &[ChatMessage<'_>]) -> Result<(Vec<(CString, CString)>, Vec<sys::maskkv_chat_message>)> {
    let owned: Vec<(CString, CString)> = messages
        .iter()
        .map(|m| Ok((cstring(m.role, "role")?, cstring(m.content, "content")?)))
        .collect::<Result<_>>()?;
    let c = owned
        .iter()
        .map(|(r, c)| sys::maskkv_chat_message { role: r.as_ptr(), content: c.as_ptr() })
        .collect();
    Ok((owned, c))
}

fn path_cstring(p: &Path) -> Result<CString> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| Error::invalid(format!("{}: contains a NUL byte", p.display())))
    }
    #[cfg(not(unix))]
    {
        let s = p.to_str().ok_or_else(|| Error::invalid(format!("{}: not UTF-8", p.display())))?;
        cstring(s, "path")
    }
}

/// Runs a size-query call twice: once to learn the size, once into a buffer of that size.
fn size_query<T: Copy + Default>(
    mut call: impl FnMut(*mut T, usize, &mut usize) -> sys::maskkv_status,
) -> Result<Vec<T>> {
    let mut n = 0usize;
    let st = call(ptr::null_mut(), 0, &mut n);
    if st != sys::MASKKV_OK as i32 && st != sys::MASKKV_ERR_BUFFER_TOO_SMALL as i32 {
        return Err(Error::last(st));
    }
    let mut out = vec![T::default(); n];
    if n > 0 {
        let cap = out.len();
        check(call(out.as_mut_ptr(), cap, &mut n))?;
        out.truncate(n);
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------------
// Library-wide
// ------------------------------------------------------------------------------------------------

/// "MAJOR.MINOR.PATCH" of the libmaskkv actually loaded.
pub fn version() -> &'static str {
    unsafe { static_str(sys::maskkv_version()) }
}

/// MASKKV_VERSION_NUMBER of the libmaskkv actually loaded.
pub fn version_number() -> u32 {
    unsafe { sys::maskkv_version_number() }
}

macro_rules! c_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $value:path),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }
        impl $name {
            /// The C value.
            pub fn code(self) -> i32 {
                match self { $($name::$variant => $value as i32),+ }
            }
            /// The variant of a C value.
            pub fn from_code(code: i32) -> Option<$name> {
                $(if code == $value as i32 { return Some($name::$variant); })+
                None
            }
        }
    };
}

c_enum!(
    /// `MASKKV_BACKEND_*`
    Backend { Auto = sys::MASKKV_BACKEND_AUTO, Cpu = sys::MASKKV_BACKEND_CPU, Cuda = sys::MASKKV_BACKEND_CUDA }
);
c_enum!(
    /// `MASKKV_FAMILY_*`
    Family { Llada = sys::MASKKV_FAMILY_LLADA, Dream = sys::MASKKV_FAMILY_DREAM }
);
c_enum!(
    /// `MASKKV_DTYPE_*` (`Q8_0`, `Q4_0`: ggml's block names)
    #[allow(non_camel_case_types)]
    DType {
        F32 = sys::MASKKV_DTYPE_F32,
        Bf16 = sys::MASKKV_DTYPE_BF16,
        F16 = sys::MASKKV_DTYPE_F16,
        Q8_0 = sys::MASKKV_DTYPE_Q8_0,
        Q4_0 = sys::MASKKV_DTYPE_Q4_0
    }
);
c_enum!(
    /// `MASKKV_WEIGHT_TYPE_*`: the linear weights' type after load (docs/quantization.md).
    #[allow(non_camel_case_types)]
    WeightType {
        Auto = sys::MASKKV_WEIGHT_TYPE_AUTO,
        Bf16 = sys::MASKKV_WEIGHT_TYPE_BF16,
        Q8_0 = sys::MASKKV_WEIGHT_TYPE_Q8_0,
        Q4_0 = sys::MASKKV_WEIGHT_TYPE_Q4_0
    }
);
c_enum!(
    /// `MASKKV_SAMPLER_*`; `Auto` is the model family's own.
    Sampler { Auto = sys::MASKKV_SAMPLER_AUTO, Llada = sys::MASKKV_SAMPLER_LLADA, Dream = sys::MASKKV_SAMPLER_DREAM }
);
c_enum!(
    /// LLaDA remasking, `MASKKV_REMASK_*`.
    Remasking { LowConfidence = sys::MASKKV_REMASK_LOW_CONFIDENCE, Random = sys::MASKKV_REMASK_RANDOM }
);
c_enum!(
    /// Dream's unmasking order, `MASKKV_ALG_*`.
    Alg {
        Origin = sys::MASKKV_ALG_ORIGIN,
        MaskgitPlus = sys::MASKKV_ALG_MASKGIT_PLUS,
        TopkMargin = sys::MASKKV_ALG_TOPK_MARGIN,
        Entropy = sys::MASKKV_ALG_ENTROPY,
    }
);
c_enum!(
    /// Prompt K/V policies, `MASKKV_POLICY_*` (docs/eviction.md).
    Policy {
        None = sys::MASKKV_POLICY_NONE,
        Full = sys::MASKKV_POLICY_FULL,
        MaskKv = sys::MASKKV_POLICY_MASKKV,
        SnapKv = sys::MASKKV_POLICY_SNAPKV,
        PyramidKv = sys::MASKKV_POLICY_PYRAMIDKV,
        SqueezeAttention = sys::MASKKV_POLICY_SQUEEZEATTENTION,
        AdaKv = sys::MASKKV_POLICY_ADAKV,
    }
);

impl Policy {
    /// The C name: "none", "full", "maskkv", ... (`maskkv_policy_name`).
    pub fn name(self) -> &'static str {
        unsafe { static_str(sys::maskkv_policy_name(self.code())) }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Policy {
    type Err = Error;
    /// `maskkv_policy_from_name`.
    fn from_str(s: &str) -> Result<Policy> {
        let name = cstring(s, "policy")?;
        let mut v = 0i32;
        check(unsafe { sys::maskkv_policy_from_name(name.as_ptr(), &mut v) })?;
        Policy::from_code(v).ok_or_else(|| Error::invalid(format!("policy value {v} unknown to this crate")))
    }
}

// ------------------------------------------------------------------------------------------------
// Results
// ------------------------------------------------------------------------------------------------

/// `maskkv_model_info`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    pub family: Family,
    pub n_layers: i32,
    pub d_model: i32,
    pub n_heads: i32,
    pub n_kv_heads: i32,
    pub head_dim: i32,
    pub mlp_hidden: i32,
    pub vocab_size: i32,
    pub max_seq_len: i32,
    pub mask_id: i32,
    pub bos_id: i32,
    pub eos_id: i32,
    pub eot_id: i32,
    pub rope_theta: f32,
    pub rms_norm_eps: f32,
    pub weight_dtype: DType,
    pub backend: Backend,
    pub n_params: u64,
    pub weight_bytes: u64,
}

/// `maskkv_stats`: progress and cost of a generation.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Stats {
    pub steps: i32,
    pub forward_passes: i32,
    pub masks_left: i32,
    pub last_committed: i32,
    pub seconds: f64,
    pub peak_rss_bytes: u64,
    pub kv_pairs_kept: i64,
    pub kv_bytes_peak: u64,
    pub prefill_seconds: f64,
    /// CUDA backend: device memory peak since the model was loaded; 0 on the CPU.
    pub gpu_peak_bytes: u64,
}

impl Stats {
    fn empty_c() -> sys::maskkv_stats {
        let mut s: sys::maskkv_stats = unsafe { std::mem::zeroed() };
        s.size = std::mem::size_of::<sys::maskkv_stats>() as u32;
        s
    }

    fn from_c(s: &sys::maskkv_stats) -> Stats {
        Stats {
            steps: s.steps,
            forward_passes: s.forward_passes,
            masks_left: s.masks_left,
            last_committed: s.last_committed,
            seconds: s.seconds,
            peak_rss_bytes: s.peak_rss_bytes,
            kv_pairs_kept: s.kv_pairs_kept,
            kv_bytes_peak: s.kv_bytes_peak,
            prefill_seconds: s.prefill_seconds,
            gpu_peak_bytes: s.gpu_peak_bytes,
        }
    }
}

/// The result of a generation.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    /// gen_length response ids.
    pub tokens: Vec<i32>,
    /// The response decoded by the model's tokenizer (`None` without one).
    pub text: Option<String>,
    pub stats: Stats,
    /// The prompt ids the generation ran on.
    pub prompt: Vec<i32>,
}

/// One denoising step of a [`Session`].
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// 1-based count of steps taken.
    pub index: i32,
    /// The response so far (positions still masked hold the mask id).
    pub tokens: Vec<i32>,
    /// Tokens this step committed.
    pub committed: i32,
    pub masks_left: i32,
    pub done: bool,
    pub stats: Stats,
}

// ------------------------------------------------------------------------------------------------
// Options
// ------------------------------------------------------------------------------------------------

/// `maskkv_model_options`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelOptions {
    pub backend: Backend,
    /// CPU threads; 0 = one per core.
    pub n_threads: i32,
    /// Converts the linear weights at load (Q8_0/Q4_0 run on the CPU backend only).
    pub weight_type: WeightType,
}

impl Default for ModelOptions {
    fn default() -> Self {
        let mut o: sys::maskkv_model_options = unsafe { std::mem::zeroed() };
        unsafe { sys::maskkv_model_default_options(&mut o) };
        ModelOptions {
            backend: Backend::from_code(o.backend).unwrap_or(Backend::Auto),
            n_threads: o.n_threads,
            weight_type: WeightType::from_code(o.weight_type).unwrap_or(WeightType::Auto),
        }
    }
}

/// `maskkv_generate_options`; `Default` is `maskkv_generate_default_options()`. See
/// include/maskkv.h for what each field does.
#[derive(Clone, Copy, Debug)]
pub struct GenerateOptions<'p> {
    pub gen_length: i32,
    pub steps: i32,
    pub block_length: i32,
    pub sampler: Sampler,
    pub remasking: Remasking,
    pub alg: Alg,
    pub alg_temp: f32,
    pub temperature: f32,
    pub top_p: f32,
    pub top_k: i32,
    pub cfg_scale: f32,
    pub threshold: f32,
    pub factor: f32,
    pub eos_logit_inf: bool,
    pub eos_confidence_inf: bool,
    pub seed: u64,
    pub rope_scaling: f32,
    pub policy: Policy,
    pub budget: i32,
    /// MaskKV offline budgets (with `policy: Policy::MaskKv`).
    pub profile: Option<&'p Profile<'p>>,
    pub online: bool,
    pub prompt_refresh: i32,
    pub response_refresh: i32,
    pub rho: f32,
    pub alpha: f32,
    pub beta: f32,
    pub window: i32,
    pub pool_kernel: i32,
}

impl Default for GenerateOptions<'_> {
    fn default() -> Self {
        let mut c: sys::maskkv_generate_options = unsafe { std::mem::zeroed() };
        unsafe { sys::maskkv_generate_default_options(&mut c) };
        GenerateOptions {
            gen_length: c.gen_length,
            steps: c.steps,
            block_length: c.block_length,
            sampler: Sampler::from_code(c.sampler).unwrap_or(Sampler::Auto),
            remasking: Remasking::from_code(c.remasking).unwrap_or(Remasking::LowConfidence),
            alg: Alg::from_code(c.alg).unwrap_or(Alg::Entropy),
            alg_temp: c.alg_temp,
            temperature: c.temperature,
            top_p: c.top_p,
            top_k: c.top_k,
            cfg_scale: c.cfg_scale,
            threshold: c.threshold,
            factor: c.factor,
            eos_logit_inf: c.eos_logit_inf != 0,
            eos_confidence_inf: c.eos_confidence_inf != 0,
            seed: c.seed,
            rope_scaling: c.rope_scaling,
            policy: Policy::from_code(c.policy).unwrap_or(Policy::None),
            budget: c.budget,
            profile: None,
            online: c.online != 0,
            prompt_refresh: c.prompt_refresh,
            response_refresh: c.response_refresh,
            rho: c.rho,
            alpha: c.alpha,
            beta: c.beta,
            window: c.window,
            pool_kernel: c.pool_kernel,
        }
    }
}

impl GenerateOptions<'_> {
    fn c_options(&self) -> sys::maskkv_generate_options {
        // Start from the C defaults so that fields this crate does not know keep them.
        let mut c: sys::maskkv_generate_options = unsafe { std::mem::zeroed() };
        unsafe { sys::maskkv_generate_default_options(&mut c) };
        c.gen_length = self.gen_length;
        c.steps = self.steps;
        c.block_length = self.block_length;
        c.sampler = self.sampler.code();
        c.remasking = self.remasking.code();
        c.alg = self.alg.code();
        c.alg_temp = self.alg_temp;
        c.temperature = self.temperature;
        c.top_p = self.top_p;
        c.top_k = self.top_k;
        c.cfg_scale = self.cfg_scale;
        c.threshold = self.threshold;
        c.factor = self.factor;
        c.eos_logit_inf = self.eos_logit_inf as i32;
        c.eos_confidence_inf = self.eos_confidence_inf as i32;
        c.seed = self.seed;
        c.rope_scaling = self.rope_scaling;
        c.policy = self.policy.code();
        c.budget = self.budget;
        c.profile = self.profile.map_or(ptr::null(), |p| p.ptr.as_ptr() as *const _);
        c.online = self.online as i32;
        c.prompt_refresh = self.prompt_refresh;
        c.response_refresh = self.response_refresh;
        c.rho = self.rho;
        c.alpha = self.alpha;
        c.beta = self.beta;
        c.window = self.window;
        c.pool_kernel = self.pool_kernel;
        c
    }
}

// ------------------------------------------------------------------------------------------------
// Model
// ------------------------------------------------------------------------------------------------

/// A loaded model directory (config.json + safetensors, optional tokenizer). Immutable; share it
/// across threads with `&Model` or `Arc<Model>`.
pub struct Model {
    ptr: NonNull<sys::maskkv_model>,
}

// The C ABI: "A maskkv_model is immutable once loaded and may be shared by any number of threads."
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        unsafe { sys::maskkv_model_free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model").field("ptr", &self.ptr).finish()
    }
}

impl Model {
    /// Loads with the default options (AUTO backend, one CPU thread per core).
    pub fn load(directory: impl AsRef<Path>) -> Result<Model> {
        Model::load_with(directory, &ModelOptions::default())
    }

    pub fn load_with(directory: impl AsRef<Path>, options: &ModelOptions) -> Result<Model> {
        let dir = path_cstring(directory.as_ref())?;
        let mut o: sys::maskkv_model_options = unsafe { std::mem::zeroed() };
        unsafe { sys::maskkv_model_default_options(&mut o) };
        o.backend = options.backend.code();
        o.n_threads = options.n_threads;
        o.weight_type = options.weight_type.code();
        let mut out = ptr::null_mut();
        check(unsafe { sys::maskkv_model_load(dir.as_ptr(), &o, &mut out) })?;
        NonNull::new(out)
            .map(|ptr| Model { ptr })
            .ok_or_else(|| Error { status: Status::Internal, message: "maskkv_model_load gave NULL".into() })
    }

    /// The raw handle, for calls through [`sys`].
    pub fn as_ptr(&self) -> *const sys::maskkv_model {
        self.ptr.as_ptr()
    }

    pub fn info(&self) -> Result<ModelInfo> {
        let mut c: sys::maskkv_model_info = unsafe { std::mem::zeroed() };
        c.size = std::mem::size_of::<sys::maskkv_model_info>() as u32;
        check(unsafe { sys::maskkv_model_get_info(self.ptr.as_ptr(), &mut c) })?;
        let unknown = |what: &str, v: i32| Error::invalid(format!("{what} {v} unknown to this crate"));
        Ok(ModelInfo {
            family: Family::from_code(c.family).ok_or_else(|| unknown("family", c.family))?,
            n_layers: c.n_layers,
            d_model: c.d_model,
            n_heads: c.n_heads,
            n_kv_heads: c.n_kv_heads,
            head_dim: c.head_dim,
            mlp_hidden: c.mlp_hidden,
            vocab_size: c.vocab_size,
            max_seq_len: c.max_seq_len,
            mask_id: c.mask_id,
            bos_id: c.bos_id,
            eos_id: c.eos_id,
            eot_id: c.eot_id,
            rope_theta: c.rope_theta,
            rms_norm_eps: c.rms_norm_eps,
            weight_dtype: DType::from_code(c.weight_dtype).ok_or_else(|| unknown("dtype", c.weight_dtype))?,
            backend: Backend::from_code(c.backend).ok_or_else(|| unknown("backend", c.backend))?,
            n_params: c.n_params,
            weight_bytes: c.weight_bytes,
        })
    }

    /// The model's own tokenizer; `Status::NotFound` when the directory has none.
    pub fn tokenizer(&self) -> Result<Tokenizer<'_>> {
        let mut out = ptr::null();
        check(unsafe { sys::maskkv_model_get_tokenizer(self.ptr.as_ptr(), &mut out) })?;
        let ptr = NonNull::new(out as *mut _)
            .ok_or_else(|| Error { status: Status::Internal, message: "NULL tokenizer".into() })?;
        Ok(Tokenizer { ptr, owned: false, _owner: PhantomData })
    }

    pub fn has_tokenizer(&self) -> bool {
        let mut out = ptr::null();
        unsafe { sys::maskkv_model_get_tokenizer(self.ptr.as_ptr(), &mut out) == sys::MASKKV_OK as i32 }
    }

    /// Prompt ids for text: tokenized with BOS/EOS as the tokenizer adds them, or rendered with
    /// the chat template first when `chat` (`Status::NotFound` without a tokenizer).
    pub fn encode_prompt(&self, text: &str, chat: bool) -> Result<Vec<i32>> {
        if chat {
            self.encode_chat_prompt(text, &ChatOptions::default())
        } else {
            self.tokenizer()?.encode(text, true)
        }
    }

    /// Token ids for `text` as a user message after `options.system` (if any), rendered with
    /// `options.template` or the model's own chat template. The text is not parsed for special
    /// tokens unless `options.parse_special`.
    pub fn encode_chat_prompt(&self, text: &str, options: &ChatOptions<'_>) -> Result<Vec<i32>> {
        let mut messages = Vec::new();
        if let Some(system) = options.system {
            messages.push(ChatMessage::system(system));
        }
        messages.push(ChatMessage::user(text));
        self.tokenizer()?.encode_chat(&messages, options)
    }

    /// The response as text: up to the first end-of-sequence or end-of-turn token.
    fn text(&self, tokens: &[i32]) -> Result<Option<String>> {
        let info = self.info()?;
        let end = tokens.iter().position(|&t| t == info.eos_id || (info.eot_id >= 0 && t == info.eot_id));
        match self.tokenizer() {
            Ok(t) => t.decode(&tokens[..end.unwrap_or(tokens.len())], true).map(Some),
            Err(e) if e.status == Status::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Runs one generation to the end (`maskkv_generate`).
    pub fn generate(&self, prompt: &[i32], options: &GenerateOptions<'_>) -> Result<Generation> {
        let c = options.c_options();
        let mut tokens = vec![0i32; c.gen_length.max(0) as usize];
        let mut stats = Stats::empty_c();
        let mut n = 0usize;
        let mut st = unsafe {
            sys::maskkv_generate(self.ptr.as_ptr(), prompt.as_ptr(), prompt.len(), &c,
                                 tokens.as_mut_ptr(), tokens.len(), &mut n, &mut stats)
        };
        if st == sys::MASKKV_ERR_BUFFER_TOO_SMALL as i32 {
            tokens.resize(n, 0);
            st = unsafe {
                sys::maskkv_generate(self.ptr.as_ptr(), prompt.as_ptr(), prompt.len(), &c,
                                     tokens.as_mut_ptr(), tokens.len(), &mut n, &mut stats)
            };
        }
        check(st)?;
        tokens.truncate(n);
        let text = self.text(&tokens)?;
        Ok(Generation { tokens, text, stats: Stats::from_c(&stats), prompt: prompt.to_vec() })
    }

    /// `generate` on a text prompt (needs a tokenizer).
    pub fn generate_text(&self, prompt: &str, chat: bool, options: &GenerateOptions<'_>) -> Result<Generation> {
        self.generate(&self.encode_prompt(prompt, chat)?, options)
    }

    /// `generate` on a chat prompt (see [`Model::encode_chat_prompt`]).
    pub fn generate_chat(&self, prompt: &str, chat: &ChatOptions<'_>, options: &GenerateOptions<'_>) -> Result<Generation> {
        self.generate(&self.encode_chat_prompt(prompt, chat)?, options)
    }

    /// Begins a generation (`maskkv_session_begin`). The session iterates over its steps.
    pub fn session(&self, prompt: &[i32], options: &GenerateOptions<'_>) -> Result<Session<'_>> {
        let c = options.c_options();
        let mut out = ptr::null_mut();
        check(unsafe { sys::maskkv_session_begin(self.ptr.as_ptr(), prompt.as_ptr(), prompt.len(), &c, &mut out) })?;
        let ptr = NonNull::new(out)
            .ok_or_else(|| Error { status: Status::Internal, message: "NULL session".into() })?;
        Ok(Session {
            inner: Arc::new(SessionHandle { ptr }),
            model: self,
            prompt: prompt.to_vec(),
            done: false,
            failed: false,
            _not_sync: PhantomData,
        })
    }

    /// `session` on a text prompt (needs a tokenizer).
    pub fn session_text(&self, prompt: &str, chat: bool, options: &GenerateOptions<'_>) -> Result<Session<'_>> {
        let ids = self.encode_prompt(prompt, chat)?;
        self.session(&ids, options)
    }
}

// ------------------------------------------------------------------------------------------------
// Sessions
// ------------------------------------------------------------------------------------------------

struct SessionHandle {
    ptr: NonNull<sys::maskkv_session>,
}

// Shared by a Session (which steps it, from one thread at a time) and its Cancellers (which only
// call maskkv_session_cancel: "Safe to call from any thread while another thread steps").
unsafe impl Send for SessionHandle {}
unsafe impl Sync for SessionHandle {}

impl Drop for SessionHandle {
    fn drop(&mut self) {
        unsafe { sys::maskkv_session_free(self.ptr.as_ptr()) }
    }
}

/// One generation in progress (`maskkv_session`): an `Iterator` over its denoising steps, each
/// `next()` running one step. `Send` (move it to another thread) but not `Sync`.
pub struct Session<'m> {
    inner: Arc<SessionHandle>,
    model: &'m Model,
    prompt: Vec<i32>,
    done: bool,
    failed: bool,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// The C ABI: "A maskkv_session holds one generation and is used by one thread at a time": the
// session is Send through its fields (Arc<SessionHandle>, &Model) and !Sync through _not_sync.

impl fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("done", &self.done).finish()
    }
}

impl<'m> Session<'m> {
    fn raw(&self) -> *mut sys::maskkv_session {
        self.inner.ptr.as_ptr()
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Runs one step; `Ok(true)` once every response position is committed.
    pub fn step(&mut self) -> Result<bool> {
        let mut done = 0i32;
        check(unsafe { sys::maskkv_session_step(self.raw(), &mut done) })?;
        self.done = done != 0;
        Ok(self.done)
    }

    /// The current response (masked positions hold the mask id).
    pub fn tokens(&self) -> Result<Vec<i32>> {
        let raw = self.raw();
        size_query(|buf, cap, n| unsafe { sys::maskkv_session_tokens(raw, buf, cap, n) })
    }

    pub fn stats(&self) -> Result<Stats> {
        let mut s = Stats::empty_c();
        check(unsafe { sys::maskkv_session_get_stats(self.raw(), &mut s) })?;
        Ok(Stats::from_c(&s))
    }

    /// The response decoded by the model's tokenizer (`None` without one).
    pub fn text(&self) -> Result<Option<String>> {
        self.model.text(&self.tokens()?)
    }

    /// Steps to the end.
    pub fn run(mut self) -> Result<Generation> {
        while !self.done {
            self.step()?;
        }
        let tokens = self.tokens()?;
        let text = self.model.text(&tokens)?;
        Ok(Generation { tokens, text, stats: self.stats()?, prompt: std::mem::take(&mut self.prompt) })
    }

    /// Makes the current or next step fail with `Status::Cancelled`.
    pub fn cancel(&self) -> Result<()> {
        check(unsafe { sys::maskkv_session_cancel(self.raw()) })
    }

    /// A handle that cancels this session from any thread.
    pub fn canceller(&self) -> Canceller<'m> {
        Canceller { inner: Arc::clone(&self.inner), _model: PhantomData }
    }
}

impl Iterator for Session<'_> {
    type Item = Result<Step>;

    /// One step, then a description of it; `None` once done (or after an error).
    fn next(&mut self) -> Option<Result<Step>> {
        if self.done || self.failed {
            return None;
        }
        let step = (|| {
            self.step()?;
            let stats = self.stats()?;
            Ok(Step {
                index: stats.steps,
                tokens: self.tokens()?,
                committed: stats.last_committed,
                masks_left: stats.masks_left,
                done: self.done,
                stats,
            })
        })();
        if step.is_err() {
            self.failed = true;
        }
        Some(step)
    }
}

impl std::iter::FusedIterator for Session<'_> {}

/// Cancels a [`Session`] from any thread (`maskkv_session_cancel`). Keeps the C session alive
/// while it exists; it cannot outlive the model.
#[derive(Clone)]
pub struct Canceller<'m> {
    inner: Arc<SessionHandle>,
    _model: PhantomData<&'m Model>,
}

impl Canceller<'_> {
    pub fn cancel(&self) -> Result<()> {
        check(unsafe { sys::maskkv_session_cancel(self.inner.ptr.as_ptr()) })
    }
}

impl fmt::Debug for Canceller<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Canceller")
    }
}

// ------------------------------------------------------------------------------------------------
// Tokenizers
// ------------------------------------------------------------------------------------------------

/// A chat message for [`Tokenizer::apply_chat_template`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatMessage<'a> {
    /// "system", "user" or "assistant"
    pub role: &'a str,
    pub content: &'a str,
}

impl<'a> ChatMessage<'a> {
    pub fn user(content: &'a str) -> Self {
        ChatMessage { role: "user", content }
    }
    pub fn system(content: &'a str) -> Self {
        ChatMessage { role: "system", content }
    }
    pub fn assistant(content: &'a str) -> Self {
        ChatMessage { role: "assistant", content }
    }
}

/// How messages become a chat prompt ([`Tokenizer::encode_chat`], [`Model::encode_chat_prompt`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatOptions<'a> {
    /// "llada", "chatml", "llama3", or the path of a Jinja chat template file of one of those
    /// families; `None` (default): the tokenizer's own.
    pub template: Option<&'a str>,
    /// A system message put first by [`Model::encode_chat_prompt`]; `None` (default): none.
    pub system: Option<&'a str>,
    /// End with the assistant's header (default true).
    pub add_generation_prompt: bool,
    /// Let special-token text inside the messages ("<|eot_id|>") become the special token;
    /// default false, so that user text cannot inject turn markers.
    pub parse_special: bool,
}

impl Default for ChatOptions<'_> {
    fn default() -> Self {
        ChatOptions { template: None, system: None, add_generation_prompt: true, parse_special: false }
    }
}

/// A tokenizer: [`Tokenizer::load`] owns one (freed on drop), [`Model::tokenizer`] borrows the
/// model's. Tokenizing only reads it, so it is `Send + Sync` like the model that holds one.
pub struct Tokenizer<'a> {
    ptr: NonNull<sys::maskkv_tokenizer>,
    owned: bool,
    _owner: PhantomData<&'a Model>,
}

unsafe impl Send for Tokenizer<'_> {}
unsafe impl Sync for Tokenizer<'_> {}

impl Drop for Tokenizer<'_> {
    fn drop(&mut self) {
        if self.owned {
            unsafe { sys::maskkv_tokenizer_free(self.ptr.as_ptr()) }
        }
    }
}

impl fmt::Debug for Tokenizer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer").field("owned", &self.owned).finish()
    }
}

impl Tokenizer<'static> {
    /// A tokenizer.json, a SentencePiece .model, or a model directory holding either.
    pub fn load(path: impl AsRef<Path>) -> Result<Tokenizer<'static>> {
        let p = path_cstring(path.as_ref())?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::maskkv_tokenizer_load(p.as_ptr(), &mut out) })?;
        let ptr = NonNull::new(out)
            .ok_or_else(|| Error { status: Status::Internal, message: "NULL tokenizer".into() })?;
        Ok(Tokenizer { ptr, owned: true, _owner: PhantomData })
    }
}

impl Tokenizer<'_> {
    /// Text to ids; `add_special` adds BOS/EOS as the tokenizer's post-processor says (never a
    /// second BOS to text that already begins with one). Special-token text in `text` becomes
    /// the special token; for user content use [`Tokenizer::encode_chat`].
    pub fn encode(&self, text: &str, add_special: bool) -> Result<Vec<i32>> {
        self.encode_bytes(text.as_bytes(), add_special)
    }

    /// UTF-8 bytes to ids (invalid UTF-8 is `Status::InvalidArgument`).
    pub fn encode_bytes(&self, text: &[u8], add_special: bool) -> Result<Vec<i32>> {
        let t = self.ptr.as_ptr();
        size_query(|buf, cap, n| unsafe {
            sys::maskkv_tokenize(t, text.as_ptr() as *const _, text.len(), add_special as i32, buf, cap, n)
        })
    }

    /// Ids to the UTF-8 bytes the tokenizer produces.
    pub fn decode_bytes(&self, ids: &[i32], skip_special: bool) -> Result<Vec<u8>> {
        let t = self.ptr.as_ptr();
        size_query(|buf: *mut u8, cap, n| unsafe {
            sys::maskkv_detokenize(t, ids.as_ptr(), ids.len(), skip_special as i32, buf as *mut _, cap, n)
        })
    }

    /// Ids to text (malformed UTF-8 of a partial response becomes U+FFFD).
    pub fn decode(&self, ids: &[i32], skip_special: bool) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.decode_bytes(ids, skip_special)?).into_owned())
    }

    /// Renders messages with a chat template and tokenizes them (`maskkv_tokenize_chat`): the
    /// template's markers and BOS become special tokens, the messages' text stays text unless
    /// `options.parse_special`. `options.system` is not used here (put it in `messages`).
    pub fn encode_chat(&self, messages: &[ChatMessage<'_>], options: &ChatOptions<'_>) -> Result<Vec<i32>> {
        let (_owned, c) = c_messages(messages)?;
        let name = options.template.map(|t| cstring(t, "template")).transpose()?;
        let mut o = unsafe {
            let mut o = std::mem::MaybeUninit::<sys::maskkv_chat_options>::uninit();
            sys::maskkv_chat_default_options(o.as_mut_ptr());
            o.assume_init()
        };
        o.template_name = name.as_ref().map_or(ptr::null(), |n| n.as_ptr());
        o.add_generation_prompt = options.add_generation_prompt as i32;
        o.parse_special = options.parse_special as i32;
        let t = self.ptr.as_ptr();
        size_query(|buf, cap, n| unsafe { sys::maskkv_tokenize_chat(t, c.as_ptr(), c.len(), &o, buf, cap, n) })
    }

    /// Renders messages with a chat template: `None` picks the one the tokenizer's directory
    /// names; "llada", "chatml" (Dream), "llama3" or the path of a Jinja template file of one of
    /// those families override.
    pub fn apply_chat_template(&self, messages: &[ChatMessage<'_>], template: Option<&str>,
                               add_generation_prompt: bool) -> Result<String> {
        let (_owned, c) = c_messages(messages)?;
        let name = template.map(|t| cstring(t, "template")).transpose()?;
        let name_ptr = name.as_ref().map_or(ptr::null(), |n| n.as_ptr());
        let t = self.ptr.as_ptr();
        let bytes = size_query(|buf: *mut u8, cap, n| unsafe {
            sys::maskkv_apply_chat_template(t, name_ptr, c.as_ptr(), c.len(), add_generation_prompt as i32,
                                            buf as *mut _, cap, n)
        })?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

// ------------------------------------------------------------------------------------------------
// MaskKV profiles and calibration
// ------------------------------------------------------------------------------------------------

/// A MaskKV calibration profile, bound to the model it was measured on. Immutable; `Send + Sync`.
pub struct Profile<'m> {
    ptr: NonNull<sys::maskkv_profile>,
    _model: PhantomData<&'m Model>,
}

// The C ABI: a profile is "Immutable; shareable across threads."
unsafe impl Send for Profile<'_> {}
unsafe impl Sync for Profile<'_> {}

impl Drop for Profile<'_> {
    fn drop(&mut self) {
        unsafe { sys::maskkv_profile_free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Profile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Profile")
    }
}

impl<'m> Profile<'m> {
    /// `Status::InvalidArgument` for a profile of another model, `Status::Format` for a corrupt one.
    pub fn load(model: &'m Model, path: impl AsRef<Path>) -> Result<Profile<'m>> {
        let p = path_cstring(path.as_ref())?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::maskkv_profile_load(model.ptr.as_ptr(), p.as_ptr(), &mut out) })?;
        let ptr = NonNull::new(out)
            .ok_or_else(|| Error { status: Status::Internal, message: "NULL profile".into() })?;
        Ok(Profile { ptr, _model: PhantomData })
    }
}

/// Measures a MaskKV profile: `add` prompts (one prefill each), then `save`. `Send`, not `Sync`.
pub struct Calibrator<'m> {
    ptr: NonNull<sys::maskkv_calibrator>,
    _model: PhantomData<&'m Model>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

unsafe impl Send for Calibrator<'_> {}

impl Drop for Calibrator<'_> {
    fn drop(&mut self) {
        unsafe { sys::maskkv_calibrator_free(self.ptr.as_ptr()) }
    }
}

impl<'m> Calibrator<'m> {
    pub fn new(model: &'m Model, gen_length: i32) -> Result<Calibrator<'m>> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::maskkv_calibrator_begin(model.ptr.as_ptr(), gen_length, &mut out) })?;
        let ptr = NonNull::new(out)
            .ok_or_else(|| Error { status: Status::Internal, message: "NULL calibrator".into() })?;
        Ok(Calibrator { ptr, _model: PhantomData, _not_sync: PhantomData })
    }

    pub fn add(&mut self, prompt: &[i32]) -> Result<()> {
        check(unsafe { sys::maskkv_calibrator_add(self.ptr.as_ptr(), prompt.as_ptr(), prompt.len()) })
    }

    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let p = path_cstring(path.as_ref())?;
        check(unsafe { sys::maskkv_calibrator_save(self.ptr.as_ptr(), p.as_ptr()) })
    }
}

impl fmt::Debug for Calibrator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Calibrator")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>() {}
    fn sync<T: Sync>() {}

    /// The thread-safety rules of the C ABI, checked at compile time (the negative ones are the
    /// compile_fail doc tests at the top of this file).
    #[test]
    fn thread_safety_follows_the_c_abi() {
        send::<Model>();
        sync::<Model>();
        send::<Session<'static>>();
        send::<Profile<'static>>();
        sync::<Profile<'static>>();
        send::<Canceller<'static>>();
        sync::<Canceller<'static>>();
        send::<Tokenizer<'static>>();
        sync::<Tokenizer<'static>>();
        send::<Calibrator<'static>>();
        send::<Error>();
        sync::<Error>();
    }

    #[test]
    fn status_codes_round_trip() {
        for code in 1..=10 {
            assert_eq!(Status::from_code(code).code(), code);
        }
        assert_eq!(Status::Format.name(), "MASKKV_ERR_FORMAT");
        assert_eq!(Status::from_code(99), Status::Other(99));
    }
}
