enum _MarketDataPlaceholder {}
