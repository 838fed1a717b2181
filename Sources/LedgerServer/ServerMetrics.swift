import CoreMetrics
import Foundation
import Metrics
import Prometheus
import TreatmentLedger

/// The server's metrics, through swift-metrics into its own Prometheus registry (scraped at
/// `GET /v1/metrics`, operator role): requests, latencies, appends, access records, subscriptions.
/// A registry of its own, not the process-wide `MetricsSystem`, so that several servers (tests)
/// can run in one process; `treatment-ledger serve` also bootstraps the process-wide system with
/// the same factory.
public struct ServerMetrics: Sendable {
  /// The registry the scrape reads.
  public let registry: PrometheusCollectorRegistry
  /// The swift-metrics factory that writes into ``registry``.
  public let factory: PrometheusMetricsFactory

  /// Metrics in a new registry.
  public init() {
    registry = PrometheusCollectorRegistry()
    factory = PrometheusMetricsFactory(registry: registry)
  }

  /// Counts a request and records its latency, by route pattern, method and status.
  func request(route: String, method: String, status: Int, nanoseconds: Int64) {
    let labels = [("route", route), ("method", method), ("status", String(status))]
    Counter(label: "ledger_http_requests_total", dimensions: labels, factory: factory).increment()
    Metrics.Timer(
      label: "ledger_http_request_duration_seconds",
      dimensions: [("route", route), ("method", method)],
      factory: factory
    ).recordNanoseconds(nanoseconds)
  }

  /// Counts recorded events and records the append's latency (commit included).
  func appended(events: Int, nanoseconds: Int64) {
    Counter(label: "ledger_events_recorded_total", factory: factory).increment(by: events)
    Metrics.Timer(label: "ledger_append_duration_seconds", factory: factory)
      .recordNanoseconds(nanoseconds)
  }

  /// Counts an `$access` record and records how long it took to be durable.
  func accessRecorded(nanoseconds: Int64) {
    Counter(label: "ledger_access_records_total", factory: factory).increment()
    Metrics.Timer(label: "ledger_access_record_duration_seconds", factory: factory)
      .recordNanoseconds(nanoseconds)
  }

  /// Changes the number of open subscriptions by `delta`.
  func subscriptions(_ delta: Int) {
    Meter(label: "ledger_subscriptions_open", factory: factory).increment(by: Double(delta))
  }

  /// How many events a subscriber is behind the log's end after a batch was sent.
  func subscriptionLag(_ events: UInt64) {
    Gauge(label: "ledger_subscription_lag_events", factory: factory).record(Double(events))
  }

  /// Counts events sent to subscribers.
  func sent(events: Int) {
    Counter(label: "ledger_subscription_events_sent_total", factory: factory).increment(by: events)
  }

  /// The exposition text, with the store's figures read now.
  func scrape(store: EventStore) -> [UInt8] {
    if let statistics = try? store.statistics() {
      Gauge(label: "ledger_store_events", factory: factory).record(Double(statistics.events))
      Gauge(label: "ledger_store_streams", factory: factory).record(Double(statistics.streams))
      Gauge(label: "ledger_store_file_bytes", factory: factory).record(Double(statistics.fileBytes))
    }
    return registry.emitToBuffer()
  }
}
