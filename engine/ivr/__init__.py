"""YAML IVR flows: schema, loader with line-numbered errors, interpreter (see README.md).

Public entry points: `engine.ivr.loader` (load_flow, validate_files, to_graph),
`engine.ivr.registry.FlowRegistry`, `engine.ivr.interpreter.Interpreter`,
`engine.ivr.esl_channel.EslCallChannel`, `engine.ivr.tts.TtsCache`, `engine.ivr.cli.ivr`.
"""
