//! The `buyin` command line: `serve` (the default), `migrate`, `openapi`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{
    config::{Config, SecretSource},
    db, demo, openapi,
    startup::{self, Application},
    telemetry,
};

#[derive(Parser)]
#[command(
    name = "buyin",
    version,
    about = "Makes a client's ownership of a software implementation measurable."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the API (what plain `buyin` does).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the OpenAPI document as JSON to stdout.
    Openapi,
    /// Load a demo (an association moving to a new AMS) into the configured database and print
    /// its logins. Running it again changes nothing.
    SeedDemo,
}

/// Exit status for a configuration error.
const EXIT_CONFIG: u8 = 2;

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        return match openapi::document_json() {
            Ok(json) => {
                print!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("buyin: cannot render the OpenAPI document: {e}");
                ExitCode::FAILURE
            }
        };
    }

    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("buyin: cannot read .env: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    let (config, secret_source) = match Config::from_env() {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("buyin: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    telemetry::init(&config.log_filter, config.log_format);
    match &secret_source {
        SecretSource::GeneratedFile(path) => tracing::warn!(
            path = %path.display(),
            "BUYIN_JWT_SECRET is unset: using a generated secret stored beside the SQLite database; set it in production"
        ),
        SecretSource::Ephemeral => tracing::warn!(
            "BUYIN_JWT_SECRET is unset and the database is in memory: tokens will not survive a restart"
        ),
        SecretSource::Environment => {}
    }

    let result = actix_web::rt::System::new().block_on(async move {
        match command {
            Command::Migrate => {
                let db = db::connect(&config.database_url, 1)
                    .await
                    .map_err(|e| format!("cannot connect to the database: {e}"))?;
                db::migrate(&db)
                    .await
                    .map_err(|e| format!("cannot apply migrations: {e}"))?;
                tracing::info!("migrations applied");
                Ok(())
            }
            Command::SeedDemo => {
                let state = startup::connect(&config).await.map_err(|e| e.to_string())?;
                let (project, created) = demo::seed(&state).await.map_err(|e| e.to_string())?;
                println!(
                    "{}",
                    if created {
                        "Demo loaded."
                    } else {
                        "The demo was already loaded; nothing changed."
                    }
                );
                println!("Logins (password \"{}\"):", demo::DEMO_PASSWORD);
                for (email, _, role) in demo::LOGINS {
                    println!("  {email:<32} {role}");
                }
                println!("Project: {project}");
                println!("Readiness: GET /api/v1/projects/{project}/readiness");
                println!("Days worth reading it on (?as_of=):");
                for (day, why) in demo::dates_worth_looking_at(state.clock.today()) {
                    println!("  {day}  {why}");
                }
                Ok(())
            }
            _ => {
                let app = Application::build(&config)
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(
                    address = %config.bind,
                    swagger_ui = %format!("http://{}/swagger-ui/", config.bind),
                    "buyin is listening"
                );
                app.run_until_stopped().await.map_err(|e| e.to_string())?;
                tracing::info!("buyin stopped");
                Ok::<(), String>(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("buyin: {e}");
            ExitCode::FAILURE
        }
    }
}
