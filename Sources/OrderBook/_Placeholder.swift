enum _OrderBookPlaceholder {}
