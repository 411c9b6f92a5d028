import CRdKafka

extension NativeHandle {
    /// Creates a client of `type` from `conf`.
    ///
    /// Ownership: on success `rd_kafka_new` takes `conf` over and the caller owns the returned
    /// handle (destroy it with `rd_kafka_destroy`); on failure this function destroys `conf`.
    static func create(
        _ type: rd_kafka_type_t, conf: OpaquePointer, config: KafkaConfig
    ) throws(KafkaError) -> NativeHandle {
        let (client, text) = withErrorBuffer { rd_kafka_new(type, conf, $0, $1) }
        guard let client else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                code: KafkaError.Code.invalidArgument,
                message: "cannot create kafka client: \(config.scrubbed(text))", isRetriable: false)
        }
        return NativeHandle(pointer: client)
    }
}
