/*
 * ctp: the end-to-end benchmark's baseline, a minimal consume-transform-produce loop in C
 * over librdkafka, doing what pipelines/seed-processor.yaml does in the cheapest way.
 *
 * Usage: ctp BROKERS GROUP RECORDS [INPUT [OUTPUT [AGGREGATED [DEAD_LETTER]]]]
 *
 * - Consumes INPUT (default input-topic) in consumer group GROUP from the earliest offset,
 *   taking batches of up to 1000 messages with rd_kafka_consume_batch_queue.
 * - Transform, without a JSON parse: finds the integer after "value": by scanning the bytes,
 *   copies the value minus its closing brace and appends
 *   ,"processed_value":<2*value>,"processed_at":<now ms>} ; produces that to OUTPUT with the
 *   input's key. A value that is not an object ending in '}' or has no integer "value" goes
 *   unchanged to DEAD_LETTER (as the pipeline's dead-letter topic gets malformed records).
 * - Aggregate: counts and sums per key (the category); every 5th record of a key produces
 *   {"category":K,"count":C,"sum":S,"average":A} to AGGREGATED (like the pipeline's
 *   aggregate step with every: 5). No state is written to a changelog.
 * - At least once, like sluice run: an input offset is committed (asynchronously, every
 *   second) only once every output of that poll batch and of all earlier ones is delivered.
 * - Stops after RECORDS records were consumed: flushes, commits synchronously, closes.
 *
 * Producer properties are librdkafka's defaults plus what sluice run sets by default
 * (enable.idempotence=true, partitioner=murmur2_random); extra NAME=VALUE pairs in the
 * CTP_PROPERTIES environment variable (space separated) go to both clients.
 *
 * Prints one line: ctp: records=N outputs=M seconds=S records_per_s=R, where S runs from the
 * first partition assignment to the end of the final commit and close (the same span the
 * benchmark measures for sluice run).
 */
#include <librdkafka/rdkafka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PARTITIONS 256
#define MAX_BATCHES 8192
#define MAX_KEYS 64
#define BATCH 1000

/* One poll batch: outputs still undelivered, and the next offset per partition it read. */
struct batch {
        int outstanding;
        int count;
        int32_t partition[MAX_PARTITIONS];
        int64_t offset[MAX_PARTITIONS];
};

struct aggregate {
        char key[32];
        size_t key_len;
        int64_t count;
        int64_t sum;
};

static struct batch *batches;
static long first_batch, next_batch; /* ring indices, monotonically increasing */
static long delivered, failed;
static struct aggregate aggregates[MAX_KEYS];
static int aggregate_count;
static int64_t committed[MAX_PARTITIONS];
static char input_topic[256];
static double assigned_at;

static double now_seconds(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what, const char *why) {
        fprintf(stderr, "ctp: %s: %s\n", what, why);
        exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
        char error[512];
        if (rd_kafka_conf_set(conf, name, value, error, sizeof error) != RD_KAFKA_CONF_OK)
                die(name, error);
}

static void set_extra(rd_kafka_conf_t *conf) {
        const char *extra = getenv("CTP_PROPERTIES");
        if (!extra)
                return;
        char *copy = strdup(extra), *save = NULL;
        for (char *item = strtok_r(copy, " ", &save); item; item = strtok_r(NULL, " ", &save)) {
                char *equals = strchr(item, '=');
                if (!equals)
                        die("CTP_PROPERTIES", "expected NAME=VALUE pairs");
                *equals = 0;
                set(conf, item, equals + 1);
        }
        free(copy);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
        (void)rk;
        (void)opaque;
        long index = (long)(intptr_t)message->_private;
        if (message->err) {
                failed++;
                fprintf(stderr, "ctp: delivery failed: %s\n", rd_kafka_err2str(message->err));
        } else {
                delivered++;
        }
        batches[index % MAX_BATCHES].outstanding--;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *partitions,
                         void *opaque) {
        (void)opaque;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                if (assigned_at == 0)
                        assigned_at = now_seconds();
                rd_kafka_assign(rk, partitions);
        } else {
                rd_kafka_assign(rk, NULL);
        }
}

/* Produces one message whose outputs count against batch `index`; waits while the queue is full. */
static void produce(rd_kafka_t *producer, const char *topic, const void *key, size_t key_len, const void *value,
                    size_t value_len, long index) {
        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                    producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
                    RD_KAFKA_V_OPAQUE((void *)(intptr_t)index), RD_KAFKA_V_END);
                if (!err) {
                        batches[index % MAX_BATCHES].outstanding++;
                        return;
                }
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        die("produce", rd_kafka_err2str(err));
                rd_kafka_poll(producer, 10);
        }
}

/* The integer after "value": in a JSON object's bytes, by scanning (no parse). */
static int find_value(const char *bytes, size_t len, int64_t *out) {
        static const char needle[] = "\"value\":";
        size_t n = sizeof needle - 1;
        for (size_t i = 0; i + n < len; i++) {
                if (bytes[i] != '"' || memcmp(bytes + i, needle, n) != 0)
                        continue;
                size_t j = i + n;
                int negative = 0;
                if (j < len && bytes[j] == '-') {
                        negative = 1;
                        j++;
                }
                if (j >= len || bytes[j] < '0' || bytes[j] > '9')
                        return 0;
                int64_t value = 0;
                while (j < len && bytes[j] >= '0' && bytes[j] <= '9')
                        value = value * 10 + (bytes[j++] - '0');
                *out = negative ? -value : value;
                return 1;
        }
        return 0;
}

static struct aggregate *aggregate_for(const void *key, size_t len) {
        if (len > sizeof aggregates[0].key)
                len = sizeof aggregates[0].key;
        for (int i = 0; i < aggregate_count; i++)
                if (aggregates[i].key_len == len && memcmp(aggregates[i].key, key, len) == 0)
                        return &aggregates[i];
        if (aggregate_count == MAX_KEYS)
                return NULL;
        struct aggregate *entry = &aggregates[aggregate_count++];
        memcpy(entry->key, key, len);
        entry->key_len = len;
        return entry;
}

/* Commits the offsets of the longest run of fully delivered batches. */
static void commit(rd_kafka_t *consumer, int sync) {
        int64_t safe[MAX_PARTITIONS];
        int moved = 0;
        memcpy(safe, committed, sizeof safe);
        while (first_batch < next_batch && batches[first_batch % MAX_BATCHES].outstanding == 0) {
                struct batch *b = &batches[first_batch % MAX_BATCHES];
                for (int i = 0; i < b->count; i++)
                        if (b->offset[i] > safe[b->partition[i]]) {
                                safe[b->partition[i]] = b->offset[i];
                                moved = 1;
                        }
                first_batch++;
        }
        if (!moved)
                return;
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
        for (int p = 0; p < MAX_PARTITIONS; p++)
                if (safe[p] != committed[p])
                        rd_kafka_topic_partition_list_add(list, input_topic, p)->offset = safe[p];
        memcpy(committed, safe, sizeof safe);
        rd_kafka_resp_err_t err = rd_kafka_commit(consumer, list, !sync);
        if (err)
                fprintf(stderr, "ctp: commit: %s\n", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(list);
}

int main(int argc, char **argv) {
        if (argc < 4) {
                fprintf(stderr, "usage: ctp BROKERS GROUP RECORDS [INPUT [OUTPUT [AGGREGATED [DEAD_LETTER]]]]\n");
                return 2;
        }
        const char *brokers = argv[1], *group = argv[2];
        long wanted = atol(argv[3]);
        snprintf(input_topic, sizeof input_topic, "%s", argc > 4 ? argv[4] : "input-topic");
        const char *output_topic = argc > 5 ? argv[5] : "output-topic";
        const char *aggregated_topic = argc > 6 ? argv[6] : "aggregated-topic";
        const char *dead_topic = argc > 7 ? argv[7] : "dead-letter-topic";
        if (wanted < 1)
                die("RECORDS", "must be at least 1");
        batches = calloc(MAX_BATCHES, sizeof *batches);
        for (int p = 0; p < MAX_PARTITIONS; p++)
                committed[p] = -1;
        char error[512];

        rd_kafka_conf_t *pconf = rd_kafka_conf_new();
        set(pconf, "bootstrap.servers", brokers);
        set(pconf, "client.id", "ctp");
        set(pconf, "enable.idempotence", "true");
        set(pconf, "partitioner", "murmur2_random");
        set_extra(pconf);
        rd_kafka_conf_set_dr_msg_cb(pconf, on_delivery);
        rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, error, sizeof error);
        if (!producer)
                die("producer", error);

        rd_kafka_conf_t *cconf = rd_kafka_conf_new();
        set(cconf, "bootstrap.servers", brokers);
        set(cconf, "client.id", "ctp");
        set(cconf, "group.id", group);
        set(cconf, "auto.offset.reset", "earliest");
        set(cconf, "enable.auto.commit", "false");
        set(cconf, "enable.auto.offset.store", "false");
        set_extra(cconf);
        rd_kafka_conf_set_rebalance_cb(cconf, on_rebalance);
        rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, error, sizeof error);
        if (!consumer)
                die("consumer", error);
        rd_kafka_poll_set_consumer(consumer);
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, input_topic, RD_KAFKA_PARTITION_UA);
        if (rd_kafka_subscribe(consumer, topics))
                die("subscribe", input_topic);
        rd_kafka_topic_partition_list_destroy(topics);
        rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(consumer);

        rd_kafka_message_t *messages[BATCH];
        char *out = malloc(1 << 20);
        size_t out_size = 1 << 20;
        long consumed = 0, outputs = 0;
        double last_commit = now_seconds();
        while (consumed < wanted) {
                /* Keep a free slot in the batch ring: wait for deliveries when it is full. */
                while (next_batch - first_batch >= MAX_BATCHES - 1) {
                        rd_kafka_poll(producer, 10);
                        commit(consumer, 0);
                }
                ssize_t count = rd_kafka_consume_batch_queue(queue, 100, messages, BATCH);
                long index = next_batch;
                struct batch *b = &batches[index % MAX_BATCHES];
                b->outstanding = 0;
                b->count = 0;
                int64_t now = wall_ms();
                for (ssize_t m = 0; m < count; m++) {
                        rd_kafka_message_t *message = messages[m];
                        if (message->err || consumed >= wanted) {
                                if (message->err && message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                        fprintf(stderr, "ctp: consume: %s\n", rd_kafka_message_errstr(message));
                                rd_kafka_message_destroy(message);
                                continue;
                        }
                        consumed++;
                        const char *value = message->payload;
                        size_t len = message->len;
                        int64_t number;
                        if (value && len > 1 && value[len - 1] == '}' && find_value(value, len, &number)) {
                                if (len + 128 > out_size) {
                                        out_size = len + 128;
                                        out = realloc(out, out_size);
                                }
                                memcpy(out, value, len - 1);
                                int tail = snprintf(out + len - 1, 128, ",\"processed_value\":%" PRId64
                                                    ",\"processed_at\":%" PRId64 "}", number * 2, now);
                                produce(producer, output_topic, message->key, message->key_len, out,
                                        len - 1 + (size_t)tail, index);
                                outputs++;
                                struct aggregate *a = aggregate_for(message->key, message->key_len);
                                if (a) {
                                        a->count++;
                                        a->sum += number;
                                }
                                if (a && a->count % 5 == 0) {
                                        int n = snprintf(out, out_size,
                                                         "{\"category\":\"%.*s\",\"count\":%" PRId64 ",\"sum\":%" PRId64
                                                         ",\"average\":%.1f}",
                                                         (int)a->key_len, a->key, a->count, a->sum,
                                                         (double)a->sum / (double)a->count);
                                        produce(producer, aggregated_topic, a->key, a->key_len, out, (size_t)n,
                                                index);
                                        outputs++;
                                }
                        } else {
                                produce(producer, dead_topic, message->key, message->key_len, value, len, index);
                                outputs++;
                        }
                        /* The next offset to read, per partition, after this batch. */
                        int32_t partition = message->partition;
                        int i = 0;
                        while (i < b->count && b->partition[i] != partition)
                                i++;
                        if (i == b->count && b->count < MAX_PARTITIONS && partition < MAX_PARTITIONS)
                                b->partition[b->count++] = partition;
                        if (i < b->count)
                                b->offset[i] = message->offset + 1;
                        rd_kafka_message_destroy(message);
                }
                if (b->count > 0)
                        next_batch++;
                rd_kafka_poll(producer, 0);
                if (now_seconds() - last_commit >= 1.0) {
                        commit(consumer, 0);
                        last_commit = now_seconds();
                }
        }
        rd_kafka_flush(producer, 30000);
        commit(consumer, 1);
        rd_kafka_queue_destroy(queue);
        rd_kafka_consumer_close(consumer);
        double seconds = now_seconds() - assigned_at;
        printf("ctp: records=%ld outputs=%ld delivered=%ld failed=%ld seconds=%.3f records_per_s=%.0f\n", consumed,
               outputs, delivered, failed, seconds, (double)consumed / seconds);
        rd_kafka_destroy(consumer);
        rd_kafka_destroy(producer);
        free(out);
        free(batches);
        return failed > 0 ? 1 : 0;
}
