#!/usr/bin/env python3
# Usage: python3 gen_ouch_tables.py {42|50|opts|t42|t50} > fragment (pasted into OUCH42.swift / OUCH50.swift / the tests).
"""Generates the repetitive message structs/views of OUCH42.swift and OUCH50.swift, and the
round-trip tests, from the field tables below (written from the specs' message layouts)."""
import sys
import textwrap

def doc(indent, text):
    return [indent + "/// " + l for l in textwrap.wrap(text, width=108 - len(indent))]

# Swift type, wire size, load expression (o = offset), store statement (v = value expr), sample(i)
T = {
    'shares': ('Shares', 4, 'base.shares({o})', 'p.putBE32({o}, {v}.rawValue)', 'Shares(rawValue: {n})'),
    'u32':    ('UInt32', 4, 'base.be32({o})', 'p.putBE32({o}, {v})', 'UInt32(0x1020_3040 + {i})'),
    'u16':    ('UInt16', 2, 'base.be16({o})', 'p.putBE16({o}, {v})', 'UInt16(0x0100 + {i})'),
    'u64':    ('UInt64', 8, 'base.be64({o})', 'p.putBE64({o}, {v})', 'UInt64(0x1122_3344_5566_7700 + {i})'),
    'ref':    ('OrderRef', 8, 'base.orderRef({o})', 'p.putBE64({o}, {v}.rawValue)', 'OrderRef(rawValue: 0x0102_0304_0506_0700 + {i})'),
    'ts':     ('VenueTime', 8, 'base.time({o})', 'p.putBE64({o}, {v}.nanosSinceMidnight)', 'VenueTime(nanosSinceMidnight: 34_200_000_000_000 + {i})'),
    'price4': ('Price', 4, 'base.price4({o})', None, 'Price(rawValue: 1_234_500 + {i})'),
    'price8': ('Price', 8, 'base.price8({o})', 'p.putBE64({o}, UInt64(bitPattern: {v}.rawValue))', 'Price(rawValue: 987_654_300 + {i})'),
    'side':   ('OUCHSide', 1, 'base.side({o})', 'p.putU8({o}, {v}.rawValue)', '.sellShort'),
    'code':   ('ASCIICode', 1, 'base.code({o})', 'p.putU8({o}, {v}.rawValue)', 'ASCIICode(rawValue: 0x41 + {i})'),
    'a4':     ('Alpha4', 4, 'base.alpha4({o})', '{v}.store(to: p + {o})', 'Alpha4("F{i:03d}")!'),
    'a8':     ('Alpha8', 8, 'base.alpha8({o})', '{v}.store(to: p + {o})', 'Alpha8("SYMB{i:04d}")!'),
    'a14':    ('Alpha14', 14, 'base.alpha14({o})', '{v}.store(to: p + {o})', 'Alpha14("TOKEN-{i:02d}-XYZ-Q")!'),
}

def sample(kind, i):
    return T[kind][4].format(i=i, n=100 + i)

TOKEN = ('orderToken', 'a14', 'Order token: day-unique per OUCH account, left-justified alpha.')
TS = ('timestamp', 'ts', 'Nanoseconds since midnight.')

# ---------------------------------------------------------------- OUCH 4.2
O42_IN = [
    ('O', 'EnterOrder', 'enterOrder', 'Enter Order', [
        TOKEN,
        ('side', 'side', 'B buy, S sell, T sell short, E sell short exempt.'),
        ('shares', 'shares', 'Total shares; must be below 1,000,000.'),
        ('stock', 'a8', 'Stock symbol, left-justified.'),
        ('price', 'price4', 'Limit price, 4 implied decimals (unsigned 32-bit on the wire).'),
        ('timeInForce', 'u32', 'Seconds to live; 0 immediate or cancel, 99998 market hours, 99999 system hours.'),
        ('firm', 'a4', 'Firm (MPID); blank for the account default.'),
        ('display', 'code', 'A attributable, Y anonymous, N non-display, P post-only, I imbalance-only, M mid-point peg, W mid-point peg post-only, L post-only attributable, O/T retail order type 1/2, Q retail price improvement.'),
        ('capacity', 'code', 'A agency, P principal, R riskless, O other.'),
        ('intermarketSweepEligibility', 'code', 'Y eligible, N not eligible.'),
        ('minimumQuantity', 'shares', 'Minimum fill; 0 for none.'),
        ('crossType', 'code', 'N no cross, O opening, C closing, H halt/IPO, S supplemental, R retail.'),
        ('customerType', 'code', 'R retail designated, N not retail designated, space for the port default.'),
    ]),
    ('U', 'ReplaceOrder', 'replaceOrder', 'Replace Order', [
        ('existingOrderToken', 'a14', 'Token of the order being replaced.'),
        ('replacementOrderToken', 'a14', 'New day-unique token for the replacement.'),
        ('shares', 'shares', 'Total shares liable for the whole replace chain.'),
        ('price', 'price4', 'New limit price, 4 implied decimals.'),
        ('timeInForce', 'u32', 'As in Enter Order.'),
        ('display', 'code', 'As in Enter Order.'),
        ('intermarketSweepEligibility', 'code', 'Y eligible, N not eligible.'),
        ('minimumQuantity', 'shares', 'Minimum fill; 0 for none.'),
    ]),
    ('X', 'CancelOrder', 'cancelOrder', 'Cancel Order', [
        TOKEN,
        ('shares', 'shares', 'New intended order size; 0 cancels the rest.'),
    ]),
    ('M', 'ModifyOrder', 'modifyOrder', 'Modify Order', [
        TOKEN,
        ('side', 'side', 'New side (only among S, T, E).'),
        ('shares', 'shares', 'New intended order size.'),
    ]),
]
O42_OUT = [
    ('S', 'SystemEvent', 'systemEvent', 'System Event', [
        TS, ('eventCode', 'code', 'S start of day, E end of day.')]),
    ('A', 'Accepted', 'accepted', 'Accepted', [
        TS, TOKEN,
        ('side', 'side', 'As entered.'),
        ('shares', 'shares', 'Shares accepted.'),
        ('stock', 'a8', 'As entered.'),
        ('price', 'price4', 'Accepted price (may be better than entered).'),
        ('timeInForce', 'u32', 'Accepted time in force.'),
        ('firm', 'a4', 'As entered or the account default.'),
        ('display', 'code', 'Accepted display.'),
        ('orderReferenceNumber', 'ref', 'Day-unique reference NASDAQ assigns (as on ITCH).'),
        ('capacity', 'code', 'As entered.'),
        ('intermarketSweepEligibility', 'code', 'As entered.'),
        ('minimumQuantity', 'shares', 'As entered.'),
        ('crossType', 'code', 'As entered.'),
        ('orderState', 'code', 'L live, D dead (accepted and at once canceled).'),
        ('bboWeightIndicator', 'code', '0 0-0.2%, 1 0.2-1%, 2 1-2%, 3 over 2%, S sets the QBBO joining the NBBO, N improves the NBBO, space unspecified.'),
    ]),
    ('U', 'Replaced', 'replaced', 'Replaced', [
        TS,
        ('replacementOrderToken', 'a14', 'Token of the new order.'),
        ('side', 'side', 'As entered.'),
        ('shares', 'shares', 'Shares outstanding after the replace.'),
        ('stock', 'a8', 'As entered.'),
        ('price', 'price4', 'Accepted price.'),
        ('timeInForce', 'u32', 'Accepted time in force.'),
        ('firm', 'a4', 'As entered.'),
        ('display', 'code', 'Accepted display.'),
        ('orderReferenceNumber', 'ref', 'Reference of the new order.'),
        ('capacity', 'code', 'As entered.'),
        ('intermarketSweepEligibility', 'code', 'As entered.'),
        ('minimumQuantity', 'shares', 'As entered.'),
        ('crossType', 'code', 'As entered.'),
        ('orderState', 'code', 'L live, D dead.'),
        ('previousOrderToken', 'a14', 'Token of the order replaced.'),
        ('bboWeightIndicator', 'code', 'As in Accepted.'),
    ]),
    ('C', 'Canceled', 'canceled', 'Canceled', [
        TS, TOKEN,
        ('decrementShares', 'shares', 'Shares just canceled (incremental).'),
        ('reason', 'code', 'U user, I immediate or cancel, T timeout, S supervisory, D regulatory, Q self-match prevention, Z system, and others.'),
    ]),
    ('D', 'AIQCanceled', 'aiqCanceled', 'AIQ Canceled', [
        TS, TOKEN,
        ('decrementShares', 'shares', 'Shares just canceled.'),
        ('reason', 'code', 'Always Q (self-match prevention).'),
        ('quantityPreventedFromTrading', 'shares', 'Shares that would have traded.'),
        ('executionPrice', 'price4', 'Price they would have traded at.'),
        ('liquidityFlag', 'code', 'Liquidity flag the trade would have had.'),
    ]),
    ('E', 'Executed', 'executed', 'Executed', [
        TS, TOKEN,
        ('executedShares', 'shares', 'Shares executed (incremental).'),
        ('executionPrice', 'price4', 'Execution price.'),
        ('liquidityFlag', 'code', 'A added, R removed, and the spec\'s other codes.'),
        ('matchNumber', 'u64', 'Day-unique match number (as on ITCH).'),
    ]),
    ('B', 'BrokenTrade', 'brokenTrade', 'Broken Trade', [
        TS, TOKEN,
        ('matchNumber', 'u64', 'Match number of the broken execution.'),
        ('reason', 'code', 'E erroneous, C consent, S supervisory, X external.'),
    ]),
    ('J', 'Rejected', 'rejected', 'Rejected', [
        TS, TOKEN,
        ('reason', 'code', 'Reject reason code (T test mode, H halted, S invalid stock, X invalid price, ...).'),
    ]),
    ('P', 'CancelPending', 'cancelPending', 'Cancel Pending', [TS, TOKEN]),
    ('I', 'CancelReject', 'cancelReject', 'Cancel Reject', [TS, TOKEN]),
    ('T', 'OrderPriorityUpdate', 'orderPriorityUpdate', 'Order Priority Update', [
        TS, TOKEN,
        ('price', 'price4', 'New price.'),
        ('display', 'code', 'New display.'),
        ('orderReferenceNumber', 'ref', 'New order reference number.'),
    ]),
    ('M', 'OrderModified', 'orderModified', 'Order Modified', [
        TS, TOKEN,
        ('side', 'side', 'Side after the modify.'),
        ('shares', 'shares', 'Shares outstanding.'),
    ]),
]

# ---------------------------------------------------------------- OUCH 5.0
URN = ('userRefNum', 'u32', 'UserRefNum of the order.')
CLORD = ('clOrdID', 'a14', 'Customer order identifier (not checked for uniqueness).')
O50_IN = [
    ('O', 'EnterOrder', 'enterOrder', 'Enter Order', 'required', [
        ('userRefNum', 'u32', 'Day-unique, strictly increasing per account (or per UserRefIdx).'),
        ('side', 'side', 'B buy, S sell, T sell short, E sell short exempt.'),
        ('quantity', 'shares', 'Total shares; above 0 and below 1,000,000.'),
        ('symbol', 'a8', 'Stock symbol, left-justified.'),
        ('price', 'price8', 'Price, 4 implied decimals; 0x7FFFFFFF (or 2,000,000,000) is a market order.'),
        ('timeInForce', 'code', '0 day, 3 IOC, 5 GTX, 6 GTT (needs ExpireTime), E after hours.'),
        ('display', 'code', 'Y visible, N hidden, A attributable.'),
        ('capacity', 'code', 'A agency, P principal, R riskless, O other.'),
        ('intermarketSweepEligibility', 'code', 'Y eligible, N not eligible.'),
        ('crossType', 'code', 'N continuous, O opening, C closing, H halt/IPO, S supplemental, R retail, E extended life, A after-hours close.'),
        CLORD,
    ]),
    ('U', 'ReplaceOrder', 'replaceOrder', 'Replace Order Request', 'required', [
        ('origUserRefNum', 'u32', 'UserRefNum of the order being replaced.'),
        ('userRefNum', 'u32', 'New UserRefNum for the replacement.'),
        ('quantity', 'shares', 'Total shares liable for the whole replace chain.'),
        ('price', 'price8', 'New price, 4 implied decimals.'),
        ('timeInForce', 'code', '0, 3, 5 or 6 as in Enter Order.'),
        ('display', 'code', 'Y visible, N hidden, A attributable.'),
        ('intermarketSweepEligibility', 'code', 'Y eligible, N not eligible.'),
        CLORD,
    ]),
    ('X', 'CancelOrder', 'cancelOrder', 'Cancel Order Request', 'optional', [
        ('userRefNum', 'u32', 'UserRefNum of the order to cancel.'),
        ('quantity', 'shares', 'New intended order size; 0 cancels the rest.'),
    ]),
    ('M', 'ModifyOrder', 'modifyOrder', 'Modify Order Request', 'optional', [
        ('userRefNum', 'u32', 'UserRefNum of the order to modify.'),
        ('side', 'side', 'New side (only among S, T, E).'),
        ('quantity', 'shares', 'New intended order size (increases are ignored).'),
    ]),
    ('C', 'MassCancel', 'massCancel', 'Mass Cancel Request', 'required', [
        ('userRefNum', 'u32', 'UserRefNum of this request.'),
        ('firm', 'a4', 'Firm whose orders to cancel.'),
        ('symbol', 'a8', 'Symbol, or blanks for all symbols.'),
    ]),
    ('Q', 'AccountQuery', 'accountQuery', 'Account Query Request', 'optional', []),
]
O50_OUT = [
    ('S', 'SystemEvent', 'systemEvent', 'System Event', 'none', [
        TS, ('eventCode', 'code', 'S start of day, E end of day.')]),
    ('A', 'OrderAccepted', 'orderAccepted', 'Order Accepted', 'required', [
        TS, ('userRefNum', 'u32', 'UserRefNum as entered.'),
        ('side', 'side', 'As entered.'),
        ('quantity', 'shares', 'Shares accepted.'),
        ('symbol', 'a8', 'As entered.'),
        ('price', 'price8', 'Accepted price (may be better than entered).'),
        ('timeInForce', 'code', 'Accepted time in force.'),
        ('display', 'code', 'Y visible, N hidden, A attributable, Z conformant.'),
        ('orderReferenceNumber', 'ref', 'Day-unique reference NASDAQ assigns.'),
        ('capacity', 'code', 'As entered.'),
        ('intermarketSweepEligibility', 'code', 'As entered.'),
        ('crossType', 'code', 'As entered.'),
        ('orderState', 'code', 'L live, D dead.'),
        CLORD,
    ]),
    ('U', 'OrderReplaced', 'orderReplaced', 'Order Replaced', 'required', [
        TS,
        ('origUserRefNum', 'u32', 'UserRefNum of the replaced order.'),
        ('userRefNum', 'u32', 'UserRefNum of the new order.'),
        ('side', 'side', 'As entered.'),
        ('quantity', 'shares', 'Shares outstanding after the replace.'),
        ('symbol', 'a8', 'As entered.'),
        ('price', 'price8', 'Accepted price.'),
        ('timeInForce', 'code', 'Accepted time in force.'),
        ('display', 'code', 'Accepted display.'),
        ('orderReferenceNumber', 'ref', 'Reference of the new order.'),
        ('capacity', 'code', 'As entered.'),
        ('intermarketSweepEligibility', 'code', 'As entered.'),
        ('crossType', 'code', 'As entered.'),
        ('orderState', 'code', 'L live, D dead.'),
        CLORD,
    ]),
    ('C', 'OrderCanceled', 'orderCanceled', 'Order Canceled', 'optional', [
        TS, URN,
        ('quantity', 'shares', 'Shares just canceled (incremental).'),
        ('reason', 'code', 'Cancel reason (U user, I IOC, T timeout, S supervisory, D regulatory, Q self-match prevention, Z system, ...).'),
    ]),
    ('D', 'AIQCanceled', 'aiqCanceled', 'AIQ Canceled', 'optional', [
        TS, URN,
        ('decrementShares', 'shares', 'Shares just canceled.'),
        ('reason', 'code', 'Always Q.'),
        ('quantityPreventedFromTrading', 'shares', 'Shares that would have traded.'),
        ('executionPrice', 'price8', 'Price they would have traded at.'),
        ('liquidityFlag', 'code', 'Liquidity flag the trade would have had.'),
        ('aiqStrategy', 'code', 'AIQ strategy applied.'),
    ]),
    ('E', 'OrderExecuted', 'orderExecuted', 'Order Executed', 'required', [
        TS, URN,
        ('quantity', 'shares', 'Shares executed (incremental).'),
        ('price', 'price8', 'Execution price.'),
        ('liquidityFlag', 'code', 'Liquidity flag.'),
        ('matchNumber', 'u64', 'Day-unique match number.'),
    ]),
    ('B', 'BrokenTrade', 'brokenTrade', 'Broken Trade', 'optional', [
        TS, URN,
        ('matchNumber', 'u64', 'Match number of the broken execution.'),
        ('reason', 'code', 'E erroneous, C consent, S supervisory, X external.'),
        CLORD,
    ]),
    ('J', 'OrderRejected', 'orderRejected', 'Order Rejected', 'optional', [
        TS, URN,
        ('reason', 'u16', 'Reject reason code (a 2-byte integer, spec appendix).'),
        CLORD,
    ]),
    ('P', 'CancelPending', 'cancelPending', 'Cancel Pending', 'optional', [TS, URN]),
    ('I', 'CancelReject', 'cancelReject', 'Cancel Reject', 'optional', [TS, URN]),
    ('T', 'OrderPriorityUpdate', 'orderPriorityUpdate', 'Order Priority Update', 'optional', [
        TS, URN,
        ('price', 'price8', 'New price.'),
        ('display', 'code', 'New display.'),
        ('orderReferenceNumber', 'ref', 'New order reference number.'),
    ]),
    ('M', 'OrderModified', 'orderModified', 'Order Modified', 'optional', [
        TS, URN,
        ('side', 'side', 'Side after the modify.'),
        ('quantity', 'shares', 'Shares outstanding.'),
    ]),
    ('R', 'OrderRestated', 'orderRestated', 'Order Restated', 'required', [
        TS, URN,
        ('reason', 'code', 'R display refresh (reserve replenished), P display price update.'),
    ]),
    ('X', 'MassCancelResponse', 'massCancelResponse', 'Mass Cancel Response', 'required', [
        TS, ('userRefNum', 'u32', 'UserRefNum of the request.'),
        ('firm', 'a4', 'As requested.'),
        ('symbol', 'a8', 'As requested.'),
    ]),
    ('Q', 'AccountQueryResponse', 'accountQueryResponse', 'Account Query Response', 'optional', [
        TS, ('nextUserRefNum', 'u32', 'Next UserRefNum the account expects.'),
    ]),
]

def offsets(fields):
    o = 1
    out = []
    for f in fields:
        out.append((f, o))
        o += T[f[1]][1]
    return out, o

def hexbyte(letter):
    return '0x%02X' % ord(letter)

def gen_value_struct(ns, letter, name, title, fields, total, proto, rule=None):
    lines = []
    fo, base = offsets(fields)
    if rule is None:
        lines.append(f'    /// {letter}, {title}: {total} bytes.')
    elif rule == 'none':
        lines.append(f'    /// {letter}, {title}: {base} bytes, no appendage.')
    elif rule == 'required':
        lines.append(f'    /// {letter}, {title}: {base} bytes, then the Appendage Length (2) and the appendage: at least {base + 2} bytes.')
    else:
        lines.append(f'    /// {letter}, {title}: {base} bytes, then, only if there is an appendage, the Appendage Length (2)')
        lines.append(f'    /// and the appendage.')
    lines.append(f'    @frozen public struct {name}: Hashable, Sendable {{')
    lines.append(f'        public static let messageType: UInt8 = {hexbyte(letter)}  // {letter}')
    if rule is None:
        lines.append(f'        public static let length = {total}')
    else:
        lines.append(f'        /// Bytes before the Appendage Length field (the whole message when it has none).')
        lines.append(f'        public static let baseLength = {base}')
        lines.append(f'        public static let appendageRule: OUCH50.AppendageRule = .{rule}')
    for (f, o) in fo:
        fname, kind, doc_ = f
        lines += doc('        ', f'{o}, {T[kind][1]}: {doc_}')
        lines.append(f'        public var {fname}: {T[kind][0]}')
    has_opts = rule is not None and rule != 'none'
    if has_opts:
        lines.append(f'        /// The optional TagValue fields.')
        lines.append(f'        public var options: OUCH50.Options')
    params = [f'{f[0]}: {T[f[1]][0]}' for (f, o) in fo]
    if has_opts:
        params.append('options: OUCH50.Options = OUCH50.Options()')
    one = f'        @inlinable public init({", ".join(params)}) {{'
    if len(one) <= 120:
        lines.append(one)
    else:
        lines.append('        @inlinable public init(')
        for k, prm in enumerate(params):
            lines.append('            ' + prm + (',' if k < len(params) - 1 else ''))
        lines.append('        ) {')
    for (f, o) in fo:
        lines.append(f'            self.{f[0]} = {f[0]}')
    if has_opts:
        lines.append(f'            self.options = options')
    lines.append('        }')
    # encode
    if rule is None:
        lines.append(f'        /// Writes the message at the start of `out`: {total}, or nil if `out` is shorter or a price')
        lines.append(f'        /// is outside the unsigned 32-bit wire range.')
        lines.append('        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {')
        pre = []
        for (f, o) in fo:
            if f[1] == 'price4':
                pre.append(f'let wire_{f[0]} = WirePrice.unsigned32({f[0]})')
        if pre:
            lines.append('            guard out.count >= Self.length, let p = out.baseAddress,')
            lines.append(f'                  {", ".join(pre)} else {{ return nil }}')
        else:
            lines.append('            guard out.count >= Self.length, let p = out.baseAddress else { return nil }')
        lines.append('            p.putU8(0, Self.messageType)')
        for (f, o) in fo:
            if f[1] == 'price4':
                lines.append(f'            p.putBE32({o}, wire_{f[0]})')
            else:
                lines.append('            ' + T[f[1]][3].format(o=o, v=f[0]))
        lines.append('            return Self.length')
        lines.append('        }')
    elif rule == 'none':
        lines.append(f'        /// Writes the message at the start of `out`: {base}, or nil if `out` is shorter.')
        lines.append('        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {')
        lines.append('            guard out.count >= Self.baseLength, let p = out.baseAddress else { return nil }')
        lines.append('            p.putU8(0, Self.messageType)')
        for (f, o) in fo:
            lines.append('            ' + T[f[1]][3].format(o=o, v=f[0]))
        lines.append('            return Self.baseLength')
        lines.append('        }')
    else:
        lines.append('        /// Writes the message and its appendage at the start of `out`: the bytes written, or nil if')
        lines.append('        /// `out` is too small or an option is out of its wire range.')
        lines.append('        @inlinable public func encode(into out: UnsafeMutableRawBufferPointer) -> Int? {')
        lines.append('            guard let total = OUCH50.encodedLength(baseLength: Self.baseLength, rule: Self.appendageRule,')
        lines.append('                                                   options: options), out.count >= total,')
        lines.append('                  let p = out.baseAddress else { return nil }')
        lines.append('            p.putU8(0, Self.messageType)')
        for (f, o) in fo:
            lines.append('            ' + T[f[1]][3].format(o=o, v=f[0]))
        lines.append('            return OUCH50.finish(p, baseLength: Self.baseLength, total: total, options: options)')
        lines.append('        }')
    lines.append('    }')
    lines.append('')
    # view
    art = 'an' if title[0] in 'AEIOU' else 'a'
    lines.append(f'    /// A view of {art} {title} message; see `{name}` for the fields.')
    lines.append(f'    @frozen public struct {name}View: {proto} {{')
    lines.append(f'        public typealias Message = {name}')
    lines.append(f'        @inlinable public static var messageType: UInt8 {{ {name}.messageType }}')
    if rule is None:
        lines.append(f'        @inlinable public static var length: Int {{ {name}.length }}')
        lines.append('        public let base: UnsafeRawPointer')
        lines.append('        @inlinable public init(unchecked base: UnsafeRawPointer) { self.base = base }')
    else:
        lines.append(f'        @inlinable public static var baseLength: Int {{ {name}.baseLength }}')
        lines.append(f'        @inlinable public static var appendageRule: OUCH50.AppendageRule {{ {name}.appendageRule }}')
        lines.append('        public let bytes: UnsafeRawBufferPointer')
        lines.append('        @inlinable public init(unchecked bytes: UnsafeRawBufferPointer) { self.bytes = bytes }')
    for (f, o) in fo:
        fname, kind, doc_ = f
        lines.append(f'        /// {o}')
        lines.append(f'        @inlinable public var {fname}: {T[kind][0]} {{ {T[kind][2].format(o=o)} }}')
    args = [f'{f[0]}: {f[0]}' for (f, o) in fo]
    if has_opts:
        args.append('options: OUCH50.Options(parsing: appendage)')
    lines.append('        /// Every field, as a value.')
    one = f'        @inlinable public var message: {name} {{ {name}({", ".join(args)}) }}'
    if len(one) <= 120:
        lines.append(one)
    else:
        lines.append(f'        @inlinable public var message: {name} {{')
        lines.append(f'            {name}(')
        for k, a in enumerate(args):
            lines.append('                ' + a + (',' if k < len(args) - 1 else ''))
        lines.append('            )')
        lines.append('        }')
    lines.append('    }')
    lines.append('')
    return lines

def gen_dispatch(ns, direction, msgs, is50):
    D = 'Inbound' if direction == 'in' else 'Outbound'
    lines = []
    who = 'client to venue' if direction == 'in' else 'venue to client'
    lines.append(f'    /// An {D.lower()} ({who}) message, as a typed view.')
    lines.append(f'    @frozen public enum {D} {{')
    for m in msgs:
        lines.append(f'        case {m[2]}({m[1]}View)')
    lines.append('    }')
    lines.append('')
    lines.append(f'    /// Decodes one {D.lower()} message that exactly fills `bytes`.')
    lines.append(f'    @inlinable public static func decode{D}(_ bytes: UnsafeRawBufferPointer) -> Result<{D}, DecodeError> {{')
    lines.append('        guard let p = bytes.baseAddress, bytes.count > 0 else { return .failure(.empty) }')
    lines.append('        switch p.u8(0) {')
    for m in msgs:
        letter, name, case = m[0], m[1], m[2]
        lines.append(f'        case {hexbyte(letter)}:  // {letter}')
        if is50:
            lines.append(f'            do {{ return .success(.{case}(try {name}View(validating: bytes))) }}')
            lines.append('            catch { return .failure(error) }')
        else:
            lines.append(f'            guard bytes.count == {name}.length else {{')
            lines.append(f'                return .failure(.badLength(type: {hexbyte(letter)}, expected: {name}.length, actual: bytes.count))')
            lines.append('            }')
            lines.append(f'            return .success(.{case}({name}View(unchecked: p)))')
    lines.append('        case let other: return .failure(.unknownType(other))')
    lines.append('        }')
    lines.append('    }')
    lines.append('')
    if not is50:
        lines.append(f'    /// The fixed length of the {D.lower()} message with type byte `type`, or nil for an unknown type.')
        lines.append(f'    @inlinable public static func {direction}boundLength(of type: UInt8) -> Int? {{')
        lines.append('        switch type {')
        for m in msgs:
            lines.append(f'        case {hexbyte(m[0])}: {m[1]}.length')
        lines.append('        default: nil')
        lines.append('        }')
        lines.append('    }')
        lines.append('')
    return lines

def gen42():
    out = []
    out.append('    // MARK: - Inbound messages (client to venue)')
    out.append('')
    for (letter, name, case, title, fields) in O42_IN:
        _, total = offsets(fields)
        out += gen_value_struct('OUCH42', letter, name, title, fields, total, 'OUCH42MessageView')
    out.append('    // MARK: - Outbound messages (venue to client)')
    out.append('')
    for (letter, name, case, title, fields) in O42_OUT:
        _, total = offsets(fields)
        out += gen_value_struct('OUCH42', letter, name, title, fields, total, 'OUCH42MessageView')
    out.append('    // MARK: - Dispatch')
    out.append('')
    out += gen_dispatch('OUCH42', 'in', O42_IN, False)
    out += gen_dispatch('OUCH42', 'out', O42_OUT, False)
    return out

def gen50():
    out = []
    out.append('    // MARK: - Inbound messages (client to venue)')
    out.append('')
    for (letter, name, case, title, rule, fields) in O50_IN:
        _, total = offsets(fields)
        out += gen_value_struct('OUCH50', letter, name, title, fields, total, 'OUCH50MessageView', rule)
    out.append('    // MARK: - Outbound messages (venue to client)')
    out.append('')
    for (letter, name, case, title, rule, fields) in O50_OUT:
        _, total = offsets(fields)
        out += gen_value_struct('OUCH50', letter, name, title, fields, total, 'OUCH50MessageView', rule)
    out.append('    // MARK: - Dispatch')
    out.append('')
    out += gen_dispatch('OUCH50', 'in', O50_IN, True)
    out += gen_dispatch('OUCH50', 'out', O50_OUT, True)
    return out

def sample_ctor(ns, name, fields, opts=None):
    fo, _ = offsets(fields)
    args = [f'{f[0]}: {sample(f[1], i)}' for i, (f, o) in enumerate(fo)]
    if opts is not None:
        args.append(f'options: {opts}')
    return f'{ns}.{name}({", ".join(args)})'

def gen_tests42():
    L = []
    for direction, msgs in (('Inbound', O42_IN), ('Outbound', O42_OUT)):
        for (letter, name, case, title, fields) in msgs:
            L.append(f'    @Test func roundTrip{direction}{name}() throws {{')
            L.append(f'        let m = {sample_ctor("OUCH42", name, fields)}')
            L.append(f'        let bytes = try #require(encoded {{ m.encode(into: $0) }})')
            L.append(f'        #expect(bytes.count == OUCH42.{name}.length)')
            L.append('        bytes.withUnsafeBytes { raw in')
            L.append(f'            guard case .success(.{case}(let view)) = OUCH42.decode{direction}(raw) else {{')
            L.append(f'                Issue.record("{name} did not decode as itself"); return')
            L.append('            }')
            L.append('            #expect(view.message == m)')
            L.append(f'            #expect(OUCH42.{name}View(raw)?.message == m)')
            L.append(f'            #expect(OUCH42.{name}View(UnsafeRawBufferPointer(rebasing: raw.dropLast())) == nil)')
            L.append('        }')
            L.append('    }')
            L.append('')
    return L

def gen_tests50():
    L = []
    opts_full = 'OUCH50.Options(firm: Alpha4("ABCD")!, minQty: Shares(rawValue: 200), customerType: "R", maxFloor: Shares(rawValue: 300), userRefIdx: 7)'
    for direction, msgs in (('Inbound', O50_IN), ('Outbound', O50_OUT)):
        for (letter, name, case, title, rule, fields) in msgs:
            variants = [('Bare', 'OUCH50.Options()' if rule != 'none' else None)]
            if rule != 'none':
                variants.append(('WithOptions', opts_full))
            for vname, opts in variants:
                L.append(f'    @Test func roundTrip{direction}{name}{vname}() throws {{')
                L.append(f'        let m = {sample_ctor("OUCH50", name, fields, opts)}')
                L.append(f'        let bytes = try #require(encoded {{ m.encode(into: $0) }})')
                if rule == 'none':
                    L.append(f'        #expect(bytes.count == OUCH50.{name}.baseLength)')
                elif vname == 'Bare':
                    extra = ' + 2' if rule == 'required' else ''
                    L.append(f'        #expect(bytes.count == OUCH50.{name}.baseLength{extra})')
                else:
                    L.append(f'        #expect(bytes.count == OUCH50.{name}.baseLength + 2 + m.options.encodedLength)')
                L.append('        bytes.withUnsafeBytes { raw in')
                L.append(f'            guard case .success(.{case}(let view)) = OUCH50.decode{direction}(raw) else {{')
                L.append(f'                Issue.record("{name} did not decode as itself"); return')
                L.append('            }')
                L.append('            #expect(view.message == m)')
                L.append(f'            #expect(OUCH50.{name}View(raw)?.message == m)')
                L.append('        }')
                L.append('    }')
                L.append('')
    return L



# ---------------------------------------------------------------- OUCH 5.0 TagValue options
# (tag, property, kind, size, doc)
TAGS = [
    (1, 'secondaryOrdRefNum', 'u64', 8, 'Secondary order reference number (as on the market data feeds).'),
    (2, 'firm', 'a4', 4, 'Firm (MPID); blank for the account default.'),
    (3, 'minQty', 'shares', 4, 'Minimum fill quantity; 0 for none.'),
    (4, 'customerType', 'code', 1, 'R retail designated, N not retail designated, space for the port default.'),
    (5, 'maxFloor', 'shares', 4, 'Displayed quantity of a reserve order; 0 for none.'),
    (6, 'priceType', 'code', 1, 'L limit (default), P market peg, M midpoint peg, R primary peg, Q market maker peg, m midpoint peg post-only.'),
    (7, 'pegOffset', 'sprice4', 4, 'Signed peg offset, 4 implied decimals (4 bytes).'),
    (9, 'discretionPrice', 'price8', 8, 'Discretion price (8 bytes, 4 implied decimals).'),
    (10, 'discretionPriceType', 'code', 1, 'L limit (default), P market peg, M midpoint peg, R primary peg.'),
    (11, 'discretionPegOffset', 'sprice4', 4, 'Signed discretion peg offset (4 bytes).'),
    (12, 'postOnly', 'code', 1, 'P post only, N no (default).'),
    (13, 'randomReserves', 'shares', 4, 'Random reserve replenishment range; 0 for none.'),
    (14, 'route', 'a4', 4, 'Routing strategy.'),
    (15, 'expireTime', 'u32', 4, 'Seconds to live; below 86,400.'),
    (16, 'tradeNow', 'code', 1, 'Y, N, or space for the port default.'),
    (17, 'handleInst', 'code', 1, 'Handling instruction (cross and imbalance options); space for none.'),
    (18, 'bboWeightIndicator', 'code', 1, 'Outbound: 0, 1, 2, 3, S, N or space.'),
    (22, 'displayQuantity', 'shares', 4, 'Order Restated: new displayed quantity.'),
    (23, 'displayPrice', 'price8', 8, 'Order Restated: new displayed price.'),
    (24, 'groupID', 'u16', 2, 'Customer group ID; 0 for none.'),
    (25, 'sharesLocated', 'code', 1, 'Y shares located for a short sale, N no (default).'),
    (26, 'locateBroker', 'a4', 4, 'Broker that located the shares.'),
    (27, 'side', 'side', 1, 'Side (Mass Cancel criteria).'),
    (28, 'userRefIdx', 'u8', 1, 'UserRefNum channel within the port.'),
    (29, 'aiqStrategy', 'code', 1, 'AIQ (self-match prevention) strategy; * for the port default.'),
    (30, 'aiqGroupID', 'u16', 2, 'AIQ group ID: two alphanumeric bytes, kept raw; ** for the port default.'),
]
OPT_T = {
    'u64': ('UInt64', 'p.putBE64({o}, v)', 'q.be64(0)'),
    'a4': ('Alpha4', 'v.store(to: p + {o})', 'Alpha4(loading: q)'),
    'shares': ('Shares', 'p.putBE32({o}, v.rawValue)', 'Shares(rawValue: q.be32(0))'),
    'code': ('ASCIICode', 'p.putU8({o}, v.rawValue)', 'ASCIICode(rawValue: q.u8(0))'),
    'sprice4': ('Price', None, 'Price(rawValue: Int64(Int32(bitPattern: q.be32(0))))'),
    'price8': ('Price', 'p.putBE64({o}, UInt64(bitPattern: v.rawValue))', 'q.price8(0)'),
    'u32': ('UInt32', 'p.putBE32({o}, v)', 'q.be32(0)'),
    'u16': ('UInt16', 'p.putBE16({o}, v)', 'q.be16(0)'),
    'u8': ('UInt8', 'p.putU8({o}, v)', 'q.u8(0)'),
    'side': ('OUCHSide', 'p.putU8({o}, v.rawValue)', 'OUCHSide(rawValue: q.u8(0))'),
}

def gen_opts():
    L = []
    L.append('    /// Tag numbers of the TagValue options (spec appendix) and their value sizes.')
    L.append('    public enum Tag {')
    for (tag, prop, kind, size, d) in TAGS:
        L += doc('        ', d)
        L.append(f'        public static let {prop}: UInt8 = {tag}')
    L.append('')
    L.append('        /// The value size the spec gives tag `tag`, or nil for a tag it does not define.')
    L.append('        @inlinable public static func valueLength(of tag: UInt8) -> Int? {')
    L.append('        switch tag {')
    by_size = {}
    for (tag, prop, kind, size, d) in TAGS:
        by_size.setdefault(size, []).append(str(tag))
    for size in sorted(by_size):
        L.append(f'        case {", ".join(by_size[size])}: {size}')
    L.append('        default: nil')
    L.append('        }')
    L.append('        }')
    L.append('    }')
    L.append('')
    L.append('    /// The TagValue options of a message, each present or nil. Encoding writes the present ones in')
    L.append('    /// tag order; parsing takes every known tag of the right size and skips the rest (use')
    L.append('    /// `Appendage` to see unknown tags).')
    L.append('    @frozen public struct Options: Hashable, Sendable {')
    for (tag, prop, kind, size, d) in TAGS:
        L += doc('        ', f'Tag {tag}, {size} byte{"s" if size > 1 else ""}: {d}')
        L.append(f'        public var {prop}: {OPT_T[kind][0]}?')
    L.append('')
    L.append('        @inlinable public init(')
    for k, (tag, prop, kind, size, d) in enumerate(TAGS):
        L.append(f'            {prop}: {OPT_T[kind][0]}? = nil' + (',' if k < len(TAGS) - 1 else ''))
    L.append('        ) {')
    for (tag, prop, kind, size, d) in TAGS:
        L.append(f'            self.{prop} = {prop}')
    L.append('        }')
    L.append('')
    L.append('        /// The options found in `appendage` (known tags of the right size; others are skipped).')
    L.append('        @inlinable public init(parsing appendage: Appendage) {')
    L.append('            self.init()')
    L.append('            for e in appendage where e.value.count == Tag.valueLength(of: e.tag) {')
    L.append('                let q = e.value.baseAddress!  // every known tag has a non-empty value')
    L.append('                switch e.tag {')
    for (tag, prop, kind, size, d) in TAGS:
        L.append(f'                case {tag}: {prop} = {OPT_T[kind][2]}')
    L.append('                default: break')
    L.append('                }')
    L.append('            }')
    L.append('        }')
    L.append('')
    L.append('        /// Whether no option is present.')
    L.append('        @inlinable public var isEmpty: Bool { encodedLength == 0 }')
    L.append('')
    L.append('        /// The bytes the present options take as TagValue elements (2 + value size each).')
    L.append('        @inlinable public var encodedLength: Int {')
    L.append('            var n = 0')
    for (tag, prop, kind, size, d) in TAGS:
        L.append(f'            if {prop} != nil {{ n += {2 + size} }}')
    L.append('            return n')
    L.append('        }')
    L.append('')
    L.append('        /// Writes the present options as TagValue elements (length = 1 + value size, tag, value)')
    L.append('        /// in tag order: the bytes written, or nil if `out` is too small or a 4-byte peg offset')
    L.append('        /// is outside Int32.')
    L.append('        @inlinable public func write(into out: UnsafeMutableRawBufferPointer) -> Int? {')
    L.append('            let n = encodedLength')
    L.append('            guard out.count >= n else { return nil }')
    L.append('            guard n > 0, let p = out.baseAddress else { return n }')
    L.append('            var o = 0')
    for (tag, prop, kind, size, d) in TAGS:
        if kind == 'sprice4':
            L.append(f'            if let v = {prop} {{')
            L.append('                guard let w = WirePrice.signed32(v) else { return nil }')
            L.append(f'                p.putU8(o, {size + 1}); p.putU8(o + 1, {tag}); p.putBE32(o + 2, UInt32(bitPattern: w)); o += {size + 2}')
            L.append('            }')
        else:
            st = OPT_T[kind][1].format(o='o + 2')
            one = f'            if let v = {prop} {{ p.putU8(o, {size + 1}); p.putU8(o + 1, {tag}); {st}; o += {size + 2} }}'
            if len(one) <= 120:
                L.append(one)
            else:
                L.append(f'            if let v = {prop} {{')
                L.append(f'                p.putU8(o, {size + 1}); p.putU8(o + 1, {tag}); {st}; o += {size + 2}')
                L.append('            }')
    L.append('            return o')
    L.append('        }')
    L.append('    }')
    return L


if __name__ == '__main__':
    what = sys.argv[1]
    f = {'42': gen42, '50': gen50, 't42': gen_tests42, 't50': gen_tests50, 'opts': lambda: gen_opts()}[what]
    print('\n'.join(f()))
