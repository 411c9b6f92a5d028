import SluiceExpr
import SluiceSupport

/// The aggregate's key and arguments on the fused map path, read from a decode that may have
/// left string slots pending (`PartialDecoder.decodeDirectDeferring`): the row is found by the
/// key's raw bits (`RawKeyRows`) while it was seen lately, and strings are decoded only when
/// something reads a slot's `Value`.
extension DirectMapRunner {
    /// Fills the string slots the last decode left pending, from the same record text `text`;
    /// the slots are then as `decodeDirect` leaves them. Whatever reads `decoder.slot` or
    /// `slotValues` calls this first.
    @inline(__always)
    func decodePendingStrings(_ text: UnsafePointer<UInt8>) {
        guard template._withUnsafeGuaranteedRef({ $0.pending }) != 0 else { return }
        decoder._withUnsafeGuaranteedRef { $0.decodePendingStrings(text) }
    }

    /// Forgets pending strings: the record goes to the general path, which decodes it again.
    @inline(__always)
    func dropPendingStrings() {
        template._withUnsafeGuaranteedRef { $0.pending = 0 }
    }

    /// The aggregate key of the record last decoded from `text`.
    @inline(__always)
    func recordKey(_ text: UnsafePointer<UInt8>) -> Value? {
        decodePendingStrings(text)
        return decoder._withUnsafeGuaranteedRef { $0.slot(keySlot) }
    }

    /// The row in `keys` of the aggregate key of the record last decoded from `text` (`count`
    /// bytes), or -1 when the key has none yet. An integer key, or a pending string of at most
    /// 16 bytes, is looked up by its raw bits first; other keys, and any miss, by value.
    @inline(__always)
    func aggregateRow(_ text: UnsafePointer<UInt8>, count: Int, keys: KeyIndex) -> Int {
        let slot = keySlot
        let raw: (UInt64, UInt64, UInt64)
        if slotIsInt[slot] {
            raw = RawKey.integer(slotInts[slot])
        } else if let string = pendingString(slot) {
            raw = RawKey.string(text, start: string.start, count: string.count, end: count)
        } else {
            // A string decoded already (the full scan decodes them all), or a long one.
            guard let key = recordKey(text) else { return -1 }
            return keys.find(key) ?? -1
        }
        let row = rawRows.row(raw)
        if row >= 0 { return row }
        guard let key = recordKey(text), let found = keys.find(key) else { return -1 }
        rawRows.remember(raw, row: found)
        return found
    }

    /// Where the pending string of `slot` is in the record text, when it is pending and at
    /// most 16 bytes long.
    @inline(__always)
    private func pendingString(_ slot: Int) -> (start: Int, count: Int)? {
        template._withUnsafeGuaranteedRef { template in
            guard slot < DirectTemplate.maxDeferred, template.pending & (1 << UInt64(slot)) != 0,
                template.stringCounts[slot] <= 16
            else { return nil }
            return (template.stringStarts[slot], template.stringCounts[slot])
        }
    }

    /// Folds the record's aggregate arguments into `row` of `table`; false, with nothing
    /// changed, unless each is an integer and the row takes them in integer form.
    @inline(__always)
    func foldArguments(into table: AggregateTable, row: Int) -> Bool {
        for i in argumentBuffer.indices {
            let slot = argumentBuffer[i]
            guard slotPresent[slot], slotIsInt[slot] else { return false }
            arguments[i] = slotInts[slot]
        }
        return table.foldIntegers(row: row, arguments)
    }
}

extension DirectMapRunner {
    /// `PartialDecoder.decodeDirectDeferring` for a record whose bytes are spliced into outputs:
    /// also false when it holds an integer `-0` (written `0` by the general path), the one
    /// non-canonical form `decodeDirect` accepts. The remembered layout takes none
    /// (`DirectTemplate.integer`); a record the full scan reads is searched for one. The
    /// decoder and its layout are used in place, without reference counting.
    @inline(__always)
    func decodeCanonical(_ text: UnsafeBufferPointer<UInt8>, eventTime: inout Int64?) -> Bool {
        decoder._withUnsafeGuaranteedRef { decoder in
            if let p = text.baseAddress,
                template._withUnsafeGuaranteedRef({ template in
                    guard template.count > 0 else { return false }
                    template.pending = 0
                    return true
                }),
                decoder.decodeTemplate(p, text.count, eventTime: &eventTime, deferringStrings: true)
            {
                return true
            }
            return decoder.decodeDirect(text, eventTime: &eventTime, deferringStrings: true, triedTemplate: true) == true
                && !Engine.hasNegativeZero(text)
        }
    }
}
