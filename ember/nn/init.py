"""ember.nn.init (torch.nn.init): in progress."""
