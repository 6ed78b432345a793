"""The simulated office: the real Application on the fake Telegram (faketg/) with a fake clock,
the people who act in it (office set-up, the whistle walk, the form filler) and the demo month.

Used by the bot tests, the benchmarks and `firegrid demo`; production code never imports it.
"""
