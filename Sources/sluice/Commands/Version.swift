import ArgumentParser

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print sluice's version.")

    func run() {
        print(Sluice.configuration.version)
    }
}
