import ArgumentParser

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Run Kafka stream-processing pipelines declared in YAML.",
        discussion: """
            Check a pipeline with `sluice validate`, replay recorded traffic through it with \
            `sluice dry-run` or its inline tests with `sluice test`, and run it against a cluster \
            with `sluice run`.
            """,
        version: "0.1.0",
        subcommands: [
            // One line per subcommand; each lives in Commands/<Name>.swift.
            Version.self,
            Validate.self,
            Steps.self,
            Schema.self,
            DryRunCommand.self,
            Test.self,
            Bench.self,
            RunCommand.self,
            RecordCommand.self,
            Demo.self,
            Broker.self,
            Generate.self,
            BenchEOS.self,
        ]
    )
}
