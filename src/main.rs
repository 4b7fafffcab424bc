fn main() -> std::process::ExitCode {
    buyin::cli::run()
}
