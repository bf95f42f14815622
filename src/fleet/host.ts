/**
 * A host of the fleet: where to reach it over SSH and what it is. Plain data, built by the inventory parser
 * (inventory.ts) or by hand.
 */
export interface Host {
  /** The inventory name; errors name the host by it. */
  name: string;
  /** IP address or DNS name to connect to (`ansible_host`; default: the name). */
  address: string;
  /** SSH port (`ansible_port`; default 22). */
  port: number;
  /** Login user (`ansible_user`). */
  user: string;
  /** Path of the private key (`ansible_ssh_private_key_file`); absent: the SSH agent (`SSH_AUTH_SOCK`). */
  identity?: string;
  /** Every group the host is in, directly or through `children`; sorted, the implicit `all` and `ungrouped` left out. */
  groups: string[];
  /** Its other variables, after precedence (host over child group over parent group over `all`). */
  labels: Record<string, string>;
  /** Commands run through `sudo` (`ansible_become`). */
  become: boolean;
}
