import Foundation
import SluiceSupport
import Synchronization

/// `sluice demo` without the screen: an embedded mock cluster, a generator producing tutorial
/// records to the input topic, pipelines running in-process, and a reader of the sink topics.
/// What happens is collected for the caller, who takes events and status at its own pace.
///
/// Threading: every piece runs on its own `Thread` (librdkafka calls block). `start` and
/// `stop` are called from one controlling thread; `takeEvents` and `status` from any.
public final class DemoSession: Sendable {
    public let options: DemoOptions
    public let cluster: MockCluster
    public var bootstrapServers: String { cluster.bootstrapServers }
    private let board = DemoBoard()
    private let stopping = Atomic<Bool>(false)
    private let threads = Mutex<[DemoThread]>([])
    private let watcher: Mutex<TopicRecorder?> = Mutex(nil)
    private let pipelines: Mutex<[DemoPipeline]> = Mutex([])
    private let started = ContinuousClock.now

    /// Starts the cluster and creates the input and sink topics (and `extraTopics`, name and
    /// partition count, such as changelogs that must be partitioned like the input).
    public init(options: DemoOptions = DemoOptions(), extraTopics: [(String, Int32)] = []) throws(KafkaError) {
        self.options = options
        cluster = try MockCluster(brokers: 1)
        try cluster.createTopic(options.inputTopic, partitions: options.inputPartitions)
        for topic in options.sinkTopics { try cluster.createTopic(topic, partitions: 1) }
        for (topic, partitions) in extraTopics { try cluster.createTopic(topic, partitions: partitions) }
    }

    /// Starts the sink reader, the pipelines (each on its own thread) and the generator.
    public func start(pipelines: [DemoPipeline]) throws(KafkaError) {
        let recorder = try TopicRecorder(
            config: ["bootstrap.servers": bootstrapServers, "group.id": "sluice-demo-watch", "fetch.wait.max.ms": "50"],
            options: RecorderOptions(topics: options.sinkTopics, fromBeginning: true), logHandler: { _ in })
        watcher.withLock { $0 = recorder }
        let board = self.board
        spawn("sluice-demo-watch") {
            _ = try? recorder.run(record: { record, _ in
                board.status.withLock { $0.received[record.topic, default: 0] += 1 }
                board.post(.record(record))
            })
        }
        self.pipelines.withLock { $0 = pipelines }
        for pipeline in pipelines {
            board.status.withLock { $0.pipelines[pipeline.name] = DemoStatus.Pipeline() }
            spawn("sluice-demo-\(pipeline.name)") {
                board.status.withLock { $0.pipelines[pipeline.name]?.state = "running" }
                do {
                    try pipeline.run()
                    board.status.withLock { $0.pipelines[pipeline.name]?.state = "stopped" }
                } catch {
                    board.status.withLock { $0.pipelines[pipeline.name]?.state = "failed" }
                    board.post(.failure(pipeline: pipeline.name, message: "\(error)"))
                }
            }
        }
        let generator = try DemoGenerator(bootstrapServers: bootstrapServers, options: options, board: board)
        spawn("sluice-demo-generator") { [self] in
            generator.run { self.stopping.load(ordering: .acquiring) }
        }
    }

    /// Reports a pipeline's progress (from its status handler) for the status line.
    public func update(pipeline: String, recordsIn: Int, recordsOut: Int) {
        board.status.withLock {
            $0.pipelines[pipeline, default: DemoStatus.Pipeline()].recordsIn = recordsIn
            $0.pipelines[pipeline, default: DemoStatus.Pipeline()].recordsOut = recordsOut
        }
    }

    /// Adds a line to the event stream (pipelines' warnings, for instance).
    public func note(_ text: String) {
        board.post(.note(text))
    }

    /// Events since the last call, oldest first.
    public func takeEvents() -> [DemoEvent] { board.take() }

    /// Events dropped because nobody took them (more than 20,000 waiting).
    public var droppedEvents: Int { board.droppedCount }

    public func status() -> DemoStatus {
        var status = board.status.withLock { $0 }
        let elapsed = ContinuousClock.now - started
        status.elapsedMs = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return status
    }

    /// Stops the generator, lets the pipelines finish what is in flight for up to `drainMs`,
    /// stops them, then stops the sink reader once it caught up. Blocks; waits at most about
    /// `drainMs` plus `timeoutMs`. False when a thread did not end in time.
    @discardableResult
    public func stop(drainMs: Int64 = 1_500, timeoutMs: Int64 = 15_000) -> Bool {
        stopping.store(true, ordering: .releasing)
        Thread.sleep(forTimeInterval: Double(drainMs) / 1000)
        for pipeline in pipelines.withLock({ $0 }) { pipeline.stop() }
        let pipelineThreads = threads.withLock { $0.filter { !$0.name.hasSuffix("-watch") } }
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        var ended = pipelineThreads.allSatisfy { $0.wait(until: deadline) }
        // What the pipelines flushed while stopping reaches the screen too.
        Thread.sleep(forTimeInterval: 0.3)
        watcher.withLock { $0?.stop() }
        ended = threads.withLock { $0 }.allSatisfy { $0.wait(until: deadline) } && ended
        // Let go of the clients before the cluster goes away with this session.
        if ended { watcher.withLock { $0 = nil } }
        return ended
    }

    private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = DemoThread(name: name, body)
        threads.withLock { $0.append(thread) }
    }
}

/// A started thread whose end can be awaited.
final class DemoThread: Sendable {
    let name: String
    private let done = Atomic<Bool>(false)

    init(name: String, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        let thread = Thread { [self] in
            body()
            self.done.store(true, ordering: .releasing)
        }
        thread.name = name
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// Waits until the thread ended or `deadline` passed; true when it ended.
    func wait(until deadline: ContinuousClock.Instant) -> Bool {
        while !done.load(ordering: .acquiring) {
            guard ContinuousClock.now < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }
}
