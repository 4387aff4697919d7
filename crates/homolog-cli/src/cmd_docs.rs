//! `homolog completions SHELL` and `homolog man`: shell completions and a man page generated
//! from the clap definitions, so they never drift from the real options.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};

use crate::Cli;

#[derive(Args)]
pub(crate) struct CompletionsArgs {
    /// Shell to complete for: bash, zsh, fish, elvish or powershell.
    shell: clap_complete::Shell,
}

#[derive(Args)]
pub(crate) struct ManArgs {
    /// Write `homolog.1` and one `homolog-<command>.1` per subcommand into this folder instead
    /// of printing `homolog.1` to standard output.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Prints the completion script: e.g. `homolog completions bash > /etc/bash_completion.d/homolog`.
pub(crate) fn completions(args: CompletionsArgs) -> Result<()> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "homolog", &mut out);
    out.flush().context("writing the completion script")
}

/// Prints `homolog.1`, or writes every page into `--out` (each written atomically).
pub(crate) fn man(args: ManArgs) -> Result<()> {
    let cmd = Cli::command();
    let Some(dir) = args.out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut page)?;
        let mut out = std::io::stdout().lock();
        out.write_all(&page)?;
        return out.flush().context("writing the man page");
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut pages = vec![("homolog".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        pages.push((format!("homolog-{}", sub.get_name()), sub.clone()));
    }
    for (name, page_cmd) in pages {
        let mut page = Vec::new();
        clap_mangen::Man::new(page_cmd)
            .title(name.clone())
            .render(&mut page)?;
        let path = dir.join(format!("{name}.1"));
        homolog_io::write_atomic(&path, &page)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
