// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries: one system-library target each, one Swift module touching each.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),

        // Shared value types: diagnostics, locations, JSON values, records.
        .target(name: "SluiceSupport"),
        // YAML text -> node tree with line:col marks (the only module importing libyaml).
        .target(name: "SluiceYAML", dependencies: ["CYAML", "SluiceSupport"]),
        // The expression language: parse, check, evaluate, aggregate.
        .target(name: "SluiceExpr", dependencies: ["SluiceSupport"]),
        // Spec, step registry, validation, plan, engine, dry-run.
        .target(name: "SluiceCore", dependencies: ["SluiceSupport", "SluiceYAML", "SluiceExpr"]),
        // librdkafka wrapper and the Kafka source/sink (the only module importing librdkafka).
        .target(name: "SluiceKafka", dependencies: [
            "CRdKafka", "SluiceCore", "SluiceSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The thin CLI.
        .executableTarget(name: "sluice", dependencies: [
            "SluiceCore", "SluiceKafka", "SluiceSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "SluiceSupportTests", dependencies: ["SluiceSupport"]),
        .testTarget(name: "SluiceYAMLTests", dependencies: ["SluiceYAML"]),
        .testTarget(name: "SluiceExprTests", dependencies: ["SluiceExpr"]),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"], exclude: ["Fixtures"]),
        .testTarget(name: "SluiceKafkaTests", dependencies: ["SluiceKafka"]),
        .testTarget(name: "CLITests", dependencies: ["SluiceSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
