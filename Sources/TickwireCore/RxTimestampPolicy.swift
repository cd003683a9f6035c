/// Whether a port asks its PMD for rx timestamps (the hardware profile's `ports[].rx_timestamps`,
/// `DPDKPort.Configuration.rxTimestamps`). On drivers such as ice the offload turns off the
/// vector rx path: a cost worth paying only where the stamps are read.
public enum RxTimestampPolicy: String, Sendable, Equatable, CaseIterable {
    /// Asked for, and used, where the driver's unit is known (`NICTimestampUnit`).
    case auto
    /// Asked for whatever the driver (its stamps used only in a known unit).
    case on
    /// Not asked for, and not used even when a PMD stamps anyway (net_pcap).
    case off
}
