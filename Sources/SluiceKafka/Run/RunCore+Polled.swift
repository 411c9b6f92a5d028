extension RunCore {
    /// `updateMetrics` for a batch left in librdkafka's buffers: its records are copied out
    /// again only when the run counts inputs per topic (several source topics).
    func updateMetrics(_ messages: PolledMessages, consumer: KafkaConsumer) {
        let perTopic = (metricsHook?.sourceTopics.count ?? 0) > 1
        updateMetrics(perTopic ? Array(messages) : [], consumer: consumer)
    }
}
