//! The command line: `serve`, `migrate`, `worker` and `admin`.

use clap::{Parser, Subcommand};

use crate::{app::App, config::Config, domain::Email, organisations::service};

#[derive(Parser, Debug)]
#[command(
    name = "turnout",
    version,
    about = "Campaigns, events, petitions and fundraising for solidarity groups"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply migrations, then serve (the default).
    Serve {
        /// Load the demo data set if the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply migrations and exit.
    Migrate,
    /// Run only the background jobs (email delivery, reminders).
    Worker,
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: Admin,
    },
}

#[derive(Subcommand, Debug)]
enum Admin {
    /// Create an organisation and its owner; print the owner's API token on the last line.
    Bootstrap {
        #[arg(long)]
        org_slug: String,
        #[arg(long)]
        org_name: String,
        /// An IANA zone, such as America/Toronto.
        #[arg(long)]
        timezone: String,
        #[arg(long)]
        email: String,
    },
    /// Print a new API token for an organiser.
    CreateToken {
        #[arg(long)]
        email: String,
    },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let config = Config::from_env()?;
        match self.command.unwrap_or(Command::Serve { demo: false }) {
            Command::Serve { demo } => {
                let app = App::build(config).await?;
                if demo {
                    crate::demo::load_if_empty(app.db(), app.site(), chrono::Utc::now()).await?;
                }
                app.run_until_stopped().await?;
            }
            Command::Worker => {
                let db = crate::db::connect(&config.database_url).await?;
                crate::db::migrate(&db).await?;
                let site = crate::app::site(&config, &db).await?;
                let worker = crate::app::worker(&config, db, site)?;
                tracing::info!("worker started");
                worker.run(crate::app::shutdown_signal()).await;
            }
            Command::Migrate => {
                let db = crate::db::connect(&config.database_url).await?;
                crate::db::migrate(&db).await?;
                tracing::info!("migrations applied");
            }
            Command::Admin { command } => {
                let db = crate::db::connect(&config.database_url).await?;
                crate::db::migrate(&db).await?;
                let token = match command {
                    Admin::Bootstrap {
                        org_slug,
                        org_name,
                        timezone,
                        email,
                    } => {
                        let new = service::NewOrganisation::parse(
                            &org_slug, &org_name, &timezone, &email,
                        )?;
                        service::bootstrap(&db, new).await?
                    }
                    Admin::CreateToken { email } => {
                        service::create_token(&db, &Email::parse(&email)?).await?
                    }
                };
                // The token alone on the last line, for scripts.
                #[allow(clippy::print_stdout)]
                {
                    println!("{token}");
                }
            }
        }
        Ok(())
    }
}
