"""What an event is: the vocabulary, the data contract, the validated frame, its evidence and its dates."""
