import ArgumentParser
import SluiceCore

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema of pipeline files, for editors.",
        discussion: """
            Save it (e.g. `sluice schema > schemas/pipeline.schema.json`) and point your editor's \
            YAML language server at it, e.g. with `# yaml-language-server: $schema=../schemas/pipeline.schema.json` \
            as the first line of a pipeline file.
            """)

    func run() {
        print(PipelineSchema.text(), terminator: "")
    }
}
