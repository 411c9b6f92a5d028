import ArgumentParser
import Foundation
import SluiceCore

struct Steps: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the pipeline steps, or show one step's reference.")

    @Argument(help: "A step name, e.g. window.")
    var name: String?

    func run() throws {
        guard let name else {
            print(StepReference.list(), terminator: "")
            return
        }
        guard let step = StepRegistry.step(named: name) else {
            let hint = Suggestions.closest(to: name, in: StepRegistry.names).map { " (did you mean '\($0)'?)" } ?? ""
            writeToStandardError("error: unknown step '\(name)'\(hint); `sluice steps` lists them")
            throw ExitCode(2)
        }
        print(StepReference.reference(for: step), terminator: "")
    }
}

private func writeToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
