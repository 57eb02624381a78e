//! `admit completions SHELL` and `admit man`: shell completion scripts (clap_complete) and
//! man pages (clap_mangen), both generated from the same clap definitions as `--help`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

use crate::Cli;
use crate::util::CliError;

#[derive(Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Args)]
pub(crate) struct ManArgs {
    /// Write admit.1 and a page per subcommand (admit-mint.1, admit-store-init.1, …) into
    /// this directory instead of printing admit.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub(crate) fn completions(args: &CompletionsArgs) -> Result<u8, CliError> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "admit", &mut out);
    write_stdout(&out)
}

pub(crate) fn man(args: &ManArgs) -> Result<u8, CliError> {
    let mut command = Cli::command();
    command.build();
    match &args.dir {
        None => write_stdout(&render(&command)?),
        Some(dir) => {
            // Like `install -d`: the directory is made if it is not there.
            std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, &e))?;
            let written = write_pages(dir, &command, "admit")?;
            eprintln!("wrote {written} man pages to {}", dir.display());
            Ok(0)
        }
    }
}

fn render(command: &clap::Command) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .map_err(|e| CliError::usage(format!("rendering the man page: {e}")))?;
    Ok(out)
}

/// Writes `name.1` for `command` and, under it, a page for each subcommand (`name-sub.1`).
fn write_pages(dir: &Path, command: &clap::Command, name: &str) -> Result<usize, CliError> {
    let command = command.clone().name(name.to_owned());
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, render(&command)?).map_err(|e| CliError::io(&path, &e))?;
    let mut written = 1;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        written += write_pages(dir, sub, &format!("{name}-{}", sub.get_name()))?;
    }
    Ok(written)
}

fn write_stdout(bytes: &[u8]) -> Result<u8, CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(0),
        // A closed pipe (`admit man | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(CliError::usage(format!("writing to stdout: {e}"))),
    }
}
