//! Load a model, stream the denoising steps of one generation, print the response.
//!
//!     generate MODEL_DIR [PROMPT_IDS... | --text PROMPT]
//!
//! Without a tokenizer in MODEL_DIR the prompt must be token ids.
use std::process::ExitCode;

use maskkv::{Family, GenerateOptions, Model};

fn run(args: &[String]) -> maskkv::Result<()> {
    println!("maskkv {}", maskkv::version());
    let model = Model::load(&args[1])?;
    let block_length = if model.info()?.family == Family::Dream { 16 } else { 8 };
    let options = GenerateOptions { gen_length: 16, steps: 16, block_length, ..Default::default() };
    let mut session = if args.len() > 3 && args[2] == "--text" {
        model.session_text(&args[3..].join(" "), false, &options)?
    } else {
        let ids: Vec<i32> = args[2..].iter().map(|a| a.parse().expect("a token id")).collect();
        model.session(if ids.is_empty() { &[1] } else { &ids }, &options)?
    };
    for step in &mut session {
        let step = step?;
        println!("step {}: committed {}, {} masks left", step.index, step.committed, step.masks_left);
    }
    let tokens = session.tokens()?;
    println!("response: {}", tokens.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" "));
    if let Some(text) = session.text()? {
        println!("text: {text}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: {} MODEL_DIR [PROMPT_IDS... | --text PROMPT]", args[0]);
        return ExitCode::from(2);
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("maskkv error: {e}");
            ExitCode::FAILURE
        }
    }
}
