//! `bellows completions SHELL` and `bellows man`: generated from the clap definitions, so
//! they always match the command line.

use super::{write_stdout, Outcome};
use crate::cli::{Cli, CompletionsArgs};
use clap::CommandFactory;

pub fn completions(args: CompletionsArgs) -> miette::Result<Outcome> {
    let mut cmd = Cli::command();
    write_stdout(|out| {
        clap_complete::generate(args.shell, &mut cmd, "bellows", out);
        Ok(())
    })?;
    Ok(Outcome::Clean)
}

pub fn man() -> miette::Result<Outcome> {
    let page = clap_mangen::Man::new(Cli::command());
    write_stdout(|out| page.render(out))?;
    Ok(Outcome::Clean)
}
