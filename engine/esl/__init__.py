"""engine/esl."""
