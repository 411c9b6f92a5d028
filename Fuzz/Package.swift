// swift-tools-version:6.0
// libFuzzer targets for Sluice's input readers, kept out of the main package so that its
// build never needs `-sanitize=fuzzer`. Build and run them with `scripts/fuzz.sh`.
import PackageDescription

let package = Package(
    name: "sluice-fuzz",
    dependencies: [
        .package(name: "sluice", path: ".."),
    ],
    targets: [
        // Declares libFuzzer's entry point for the Swift mains below.
        .target(name: "FuzzerDriver"),
        // YAML text -> libyaml -> spec decoding and every validation phase.
        .executableTarget(name: "FuzzPipeline", dependencies: ["FuzzerDriver", .product(name: "SluiceCore", package: "sluice")]),
        // Expression text -> parse, compile, evaluate on a fixed record, aggregate program.
        .executableTarget(name: "FuzzExpression", dependencies: ["FuzzerDriver", .product(name: "SluiceCore", package: "sluice")]),
        // Recording bytes -> JSON parser and the kcat envelope reader.
        .executableTarget(name: "FuzzRecording", dependencies: ["FuzzerDriver", .product(name: "SluiceCore", package: "sluice")]),
    ],
    swiftLanguageModes: [.v6]
)
